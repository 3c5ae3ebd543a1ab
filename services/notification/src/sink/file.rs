//! The file sink: one JSON line per delivery, one file per channel.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::SecondsFormat;
use serde::Serialize;
use tokio::sync::Mutex;

use super::{Outgoing, SinkError};
use crate::domain::Channel;

/// One line of a channel's log file.
#[derive(Serialize)]
struct Record<'a> {
    notification_id: &'a str,
    channel: &'a str,
    event: &'a str,
    to: &'a str,
    subject: &'a str,
    message: &'a str,
    time: String,
}

/// Appends one JSON line per delivery to `<dir>/<channel>.log`.
#[derive(Clone, Debug)]
pub struct FileSink {
    dir: PathBuf,
    // Serialises appends within the process so lines never interleave.
    lock: Arc<Mutex<()>>,
}

impl FileSink {
    /// Writes under `dir`, created on first use.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self {
            dir: dir.into(),
            lock: Arc::new(Mutex::new(())),
        }
    }

    /// The directory written to.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The file `channel` appends to.
    pub fn path(&self, channel: Channel) -> PathBuf {
        self.dir.join(format!("{}.log", channel.name()))
    }

    /// Appends `out` to the channel's file.
    pub async fn send(&self, channel: Channel, out: &Outgoing<'_>) -> Result<(), SinkError> {
        let record = Record {
            notification_id: out.notification_id,
            channel: channel.name(),
            event: out.event,
            to: out.to,
            subject: out.subject,
            message: out.message,
            time: out.time.to_rfc3339_opts(SecondsFormat::Millis, true),
        };
        let mut line = serde_json::to_string(&record)?;
        line.push('\n');
        let _guard = self.lock.lock().await;
        // One trip to the blocking pool for the whole append, not one per
        // file operation.
        let (dir, path) = (self.dir.clone(), self.path(channel));
        tokio::task::spawn_blocking(move || -> std::io::Result<()> {
            std::fs::create_dir_all(&dir)?;
            let mut file = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)?;
            file.write_all(line.as_bytes())?;
            file.flush()
        })
        .await
        .map_err(std::io::Error::other)??;
        Ok(())
    }
}
