//! A service binary run as a process, for tests about processes: signals,
//! draining, the binaries' own telemetry.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A signal to send a service process.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Signal {
    /// SIGTERM: drain, then stop.
    Term,
    /// SIGKILL: gone at once, nothing finished.
    Kill,
}

pub(crate) struct ServiceProcess {
    pub(crate) name: &'static str,
    pub(crate) port: u16,
    env: BTreeMap<String, String>,
    child: Option<Child>,
    log: PathBuf,
}

impl ServiceProcess {
    /// Starts the binary of `name` on `port` with `settings` (dotted keys,
    /// passed as `BACKORDER__SECTION__KEY` variables) and `extra_env`.
    pub(crate) fn start(
        name: &'static str,
        port: u16,
        settings: &[(String, String)],
        extra_env: &[(String, String)],
        log: PathBuf,
    ) -> Self {
        let mut env: BTreeMap<String, String> = settings
            .iter()
            .map(|(key, value)| (environment_name(key), value.clone()))
            .collect();
        env.insert(
            "RUST_LOG".into(),
            std::env::var("TEST_LOG").unwrap_or_else(|_| "info".into()),
        );
        let no_file = log.with_file_name("none.toml");
        env.insert(
            "BACKORDER_CONFIG_FILE".into(),
            no_file.display().to_string(),
        );
        env.extend(extra_env.iter().cloned());
        let mut process = Self {
            name,
            port,
            env,
            child: None,
            log,
        };
        process.restart();
        process
    }

    /// Starts the binary again (after it stopped) with the same settings.
    pub(crate) fn restart(&mut self) {
        if let Some(mut previous) = self.child.take() {
            let _ = previous.kill();
            let _ = previous.wait();
        }
        let binary = binary_path(self.name);
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .expect("service log file");
        let child = Command::new(&binary)
            .envs(&self.env)
            .stdin(Stdio::null())
            .stdout(Stdio::from(log.try_clone().expect("log handle")))
            .stderr(Stdio::from(log))
            .spawn()
            .unwrap_or_else(|e| panic!("starting {}: {e}", binary.display()));
        self.child = Some(child);
    }

    pub(crate) fn signal(&mut self, signal: Signal) {
        let Some(child) = &mut self.child else {
            return;
        };
        match signal {
            Signal::Kill => {
                let _ = child.kill();
            }
            Signal::Term => {
                let _ = Command::new("kill")
                    .arg("-TERM")
                    .arg(child.id().to_string())
                    .status();
            }
        }
    }

    pub(crate) fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    pub(crate) fn is_running(&mut self) -> bool {
        self.child
            .as_mut()
            .is_some_and(|c| matches!(c.try_wait(), Ok(None)))
    }

    /// Whether the process ended by itself, e.g. because its port was taken.
    pub(crate) fn exited(&mut self) -> bool {
        self.child
            .as_mut()
            .is_some_and(|c| matches!(c.try_wait(), Ok(Some(_))))
    }

    /// Waits for the process to exit; kills it and panics after `timeout`.
    pub(crate) async fn wait_stopped(&mut self, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        while self.is_running() {
            if Instant::now() > deadline {
                self.signal(Signal::Kill);
                self.reap();
                panic!("{} did not stop within {timeout:?}", self.name);
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        self.reap();
    }

    /// [`Self::wait_stopped`] outside a runtime (dropping a suite): kills
    /// the process at `deadline` instead of panicking.
    pub(crate) fn wait_stopped_blocking(&mut self, deadline: Instant) {
        while self.is_running() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        self.signal(Signal::Kill);
        self.reap();
    }

    fn reap(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.wait();
        }
    }

    pub(crate) fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

/// `server.port` -> `BACKORDER__SERVER__PORT`.
fn environment_name(key: &str) -> String {
    format!("BACKORDER__{}", key.replace('.', "__").to_uppercase())
}

fn target_dir() -> PathBuf {
    // Tests run from target/<profile>/deps/, binaries from target/<profile>/.
    let exe = std::env::current_exe().expect("executable path");
    let dir = exe.parent().expect("executable directory");
    if dir.ends_with("deps") {
        dir.parent()
            .map(Path::to_path_buf)
            .expect("target directory")
    } else {
        dir.to_path_buf()
    }
}

/// Path of a service binary (built by `cargo build --bins`).
pub(crate) fn binary_path(name: &str) -> PathBuf {
    let path = target_dir().join(name);
    assert!(
        path.exists(),
        "{} is missing: build the services first (`cargo build --bins`; `make test` does it)",
        path.display()
    );
    path
}
