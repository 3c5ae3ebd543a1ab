//! Channel sinks: where a delivery is handed over.
//!
//! By default every channel appends one JSON line per delivery to
//! `<channels.dir>/<channel>.log` (`email.log`, `sms.log`, `push.log`), which
//! makes local runs inspectable. With `channels.smtp_address` set, e-mail
//! goes to that SMTP relay instead, through the minimal client below (plain
//! SMTP, no TLS or AUTH: meant for a relay next to the service, such as a
//! mail sidecar or a local catcher).
//!
//! Addresses pass through here but are never logged.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::sync::Mutex;

use crate::domain::{Channel, format_rfc3339, format_rfc5322};

/// Longest a whole SMTP session may take. Kept well below
/// [`crate::domain::RESEND_AFTER_MS`] so a slow send is not taken for a
/// crashed one.
pub const SMTP_TIMEOUT: Duration = Duration::from_secs(15);
/// Most lines of one SMTP reply accepted.
const MAX_REPLY_LINES: usize = 100;
/// Body lines are wrapped at spaces to about this width.
const WRAP_WIDTH: usize = 78;
/// Hard limit of a body line, well under SMTP's 998 octets.
const MAX_LINE_BYTES: usize = 900;

/// One delivery to hand over.
#[derive(Clone, Copy, Debug)]
pub struct Outgoing<'a> {
    /// Notification id.
    pub notification_id: &'a str,
    /// Event name (`backordered`, ...).
    pub event: &'a str,
    /// Subject line (e-mail).
    pub subject: &'a str,
    /// The address: e-mail, phone number or push token.
    pub to: &'a str,
    /// The text.
    pub message: &'a str,
    /// When it is handed over (Unix ms).
    pub time_ms: i64,
}

/// Why a sink refused a delivery.
#[derive(Debug)]
pub enum SinkError {
    /// Writing the file or talking to the server failed.
    Io(std::io::Error),
    /// The record could not be encoded.
    Encode(serde_json::Error),
    /// The SMTP server answered with an unexpected reply.
    Smtp {
        /// What was being done (`greeting`, `RCPT TO`, ...).
        stage: &'static str,
        /// The server's reply (or what was wrong with it).
        reply: String,
    },
    /// The SMTP session took longer than [`SMTP_TIMEOUT`].
    Timeout,
}

impl std::fmt::Display for SinkError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Io(error) => write!(f, "i/o error: {error}"),
            Self::Encode(error) => write!(f, "cannot encode record: {error}"),
            Self::Smtp { stage, reply } => write!(f, "smtp {stage} refused: {reply}"),
            Self::Timeout => write!(
                f,
                "smtp session timed out after {} s",
                SMTP_TIMEOUT.as_secs()
            ),
        }
    }
}

impl std::error::Error for SinkError {}

impl From<std::io::Error> for SinkError {
    fn from(error: std::io::Error) -> Self {
        Self::Io(error)
    }
}

/// Every channel's sink.
#[derive(Clone, Debug)]
pub struct Sinks {
    files: FileSink,
    smtp: Option<SmtpSink>,
}

impl Sinks {
    /// File sinks for every channel, and SMTP for e-mail when given.
    pub fn new(files: FileSink, smtp: Option<SmtpSink>) -> Self {
        Self { files, smtp }
    }

    /// Hands `out` over on `channel`.
    pub async fn send(&self, channel: Channel, out: &Outgoing<'_>) -> Result<(), SinkError> {
        match (channel, &self.smtp) {
            (Channel::Email, Some(smtp)) => smtp.send(out).await,
            _ => self.files.send(channel, out).await,
        }
    }
}

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
            time: format_rfc3339(out.time_ms),
        };
        let mut line = serde_json::to_string(&record).map_err(SinkError::Encode)?;
        line.push('\n');
        let _guard = self.lock.lock().await;
        tokio::fs::create_dir_all(&self.dir).await?;
        let mut file = tokio::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.path(channel))
            .await?;
        file.write_all(line.as_bytes()).await?;
        file.flush().await?;
        Ok(())
    }
}

/// Sends e-mail through an SMTP relay: EHLO (HELO if refused), MAIL FROM,
/// RCPT TO, DATA, QUIT, checking every reply code.
#[derive(Clone, Debug)]
pub struct SmtpSink {
    address: String,
    from: String,
    helo: String,
}

/// One SMTP reply: its code and text (lines joined).
#[derive(Debug)]
struct Reply {
    code: u16,
    text: String,
}

impl Reply {
    fn describe(&self) -> String {
        format!("{} {}", self.code, self.text)
    }
}

impl SmtpSink {
    /// Sends to the relay at `address` (`host:port`) as `from`; greets with
    /// the domain of `from`.
    pub fn new(address: impl Into<String>, from: impl Into<String>) -> Self {
        let from = from.into();
        let helo = from
            .rsplit_once('@')
            .map(|(_, domain)| domain)
            .filter(|domain| !domain.is_empty())
            .unwrap_or("backorder.local")
            .to_owned();
        Self {
            address: address.into(),
            from,
            helo,
        }
    }

    /// Sends `out` as one e-mail, within [`SMTP_TIMEOUT`].
    pub async fn send(&self, out: &Outgoing<'_>) -> Result<(), SinkError> {
        tokio::time::timeout(SMTP_TIMEOUT, self.session(out))
            .await
            .map_err(|_| SinkError::Timeout)?
    }

    async fn session(&self, out: &Outgoing<'_>) -> Result<(), SinkError> {
        let stream = TcpStream::connect(&self.address).await?;
        let (read, mut writer) = stream.into_split();
        let mut reader = BufReader::new(read);
        expect(&mut reader, "greeting", &[220]).await?;
        let ehlo = command(&mut writer, &mut reader, &format!("EHLO {}", self.helo)).await?;
        if ehlo.code != 250 {
            let helo = command(&mut writer, &mut reader, &format!("HELO {}", self.helo)).await?;
            check("HELO", &helo, &[250])?;
        }
        let reply = command(
            &mut writer,
            &mut reader,
            &format!("MAIL FROM:<{}>", self.from),
        )
        .await?;
        check("MAIL FROM", &reply, &[250])?;
        let reply = command(&mut writer, &mut reader, &format!("RCPT TO:<{}>", out.to)).await?;
        check("RCPT TO", &reply, &[250, 251])?;
        let reply = command(&mut writer, &mut reader, "DATA").await?;
        check("DATA", &reply, &[354])?;
        writer.write_all(self.compose(out).as_bytes()).await?;
        writer.flush().await?;
        expect(&mut reader, "message", &[250]).await?;
        // The message is accepted; a rude goodbye changes nothing.
        let _ = command(&mut writer, &mut reader, "QUIT").await;
        Ok(())
    }

    /// The DATA section: headers, blank line, dot-stuffed body, final dot.
    fn compose(&self, out: &Outgoing<'_>) -> String {
        let subject: String = out
            .subject
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        let mut data = String::new();
        for (name, value) in [
            ("From", format!("<{}>", self.from)),
            ("To", format!("<{}>", out.to)),
            ("Subject", subject),
            ("Date", format_rfc5322(out.time_ms)),
            (
                "Message-ID",
                format!("<{}.email@{}>", out.notification_id, self.helo),
            ),
            ("MIME-Version", "1.0".to_owned()),
            ("Content-Type", "text/plain; charset=utf-8".to_owned()),
            ("Content-Transfer-Encoding", "8bit".to_owned()),
        ] {
            data.push_str(&format!("{name}: {value}\r\n"));
        }
        data.push_str("\r\n");
        let body = out.message.replace("\r\n", "\n").replace('\r', "\n");
        for paragraph in body.split('\n') {
            for line in wrap(paragraph) {
                if line.starts_with('.') {
                    data.push('.');
                }
                data.push_str(&line);
                data.push_str("\r\n");
            }
        }
        data.push_str(".\r\n");
        data
    }
}

/// Splits one paragraph into lines of about [`WRAP_WIDTH`] characters at
/// spaces; a word longer than [`MAX_LINE_BYTES`] is cut.
fn wrap(paragraph: &str) -> Vec<String> {
    let mut lines = Vec::new();
    let mut current = String::new();
    for word in paragraph.split(' ') {
        let mut word = word;
        while word.len() > MAX_LINE_BYTES {
            let mut cut = MAX_LINE_BYTES;
            while !word.is_char_boundary(cut) {
                cut -= 1;
            }
            if !current.is_empty() {
                lines.push(std::mem::take(&mut current));
            }
            lines.push(word[..cut].to_owned());
            word = &word[cut..];
        }
        if !current.is_empty() && current.chars().count() + 1 + word.chars().count() > WRAP_WIDTH {
            lines.push(std::mem::take(&mut current));
        }
        if !current.is_empty() {
            current.push(' ');
        }
        current.push_str(word);
    }
    lines.push(current);
    lines
}

fn check(stage: &'static str, reply: &Reply, accepted: &[u16]) -> Result<(), SinkError> {
    if accepted.contains(&reply.code) {
        Ok(())
    } else {
        Err(SinkError::Smtp {
            stage,
            reply: reply.describe(),
        })
    }
}

async fn expect<R: AsyncBufRead + Unpin>(
    reader: &mut R,
    stage: &'static str,
    accepted: &[u16],
) -> Result<Reply, SinkError> {
    let reply = read_reply(reader, stage).await?;
    check(stage, &reply, accepted)?;
    Ok(reply)
}

async fn command<W, R>(writer: &mut W, reader: &mut R, line: &str) -> Result<Reply, SinkError>
where
    W: AsyncWrite + Unpin,
    R: AsyncBufRead + Unpin,
{
    writer.write_all(line.as_bytes()).await?;
    writer.write_all(b"\r\n").await?;
    writer.flush().await?;
    read_reply(reader, "reply").await
}

/// Reads one reply, following `250-...` continuation lines to the last
/// `250 ...` line.
async fn read_reply<R: AsyncBufRead + Unpin>(
    reader: &mut R,
    stage: &'static str,
) -> Result<Reply, SinkError> {
    let mut text = String::new();
    for _ in 0..MAX_REPLY_LINES {
        let mut raw = String::new();
        if reader.read_line(&mut raw).await? == 0 {
            return Err(SinkError::Smtp {
                stage,
                reply: "connection closed".to_owned(),
            });
        }
        let line = raw.trim_end_matches(['\r', '\n']);
        let code = line
            .get(..3)
            .and_then(|digits| digits.parse::<u16>().ok())
            .ok_or_else(|| SinkError::Smtp {
                stage,
                reply: format!("malformed reply {line:?}"),
            })?;
        if !text.is_empty() {
            text.push(' ');
        }
        text.push_str(line.get(4..).unwrap_or("").trim());
        if line.as_bytes().get(3) != Some(&b'-') {
            return Ok(Reply { code, text });
        }
    }
    Err(SinkError::Smtp {
        stage,
        reply: "reply too long".to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::net::TcpListener;
    use tokio::task::JoinHandle;

    fn outgoing<'a>(to: &'a str, message: &'a str) -> Outgoing<'a> {
        Outgoing {
            notification_id: "0190f3a4-0000-7000-8000-00000000000a",
            event: "shipped",
            subject: "Your order has shipped",
            to,
            message,
            time_ms: 1_796_117_400_000,
        }
    }

    fn temp_dir() -> PathBuf {
        std::env::temp_dir().join(format!(
            "notification-sink-test-{}",
            backorder_platform::ids::new_id_string()
        ))
    }

    /// What the test SMTP server received.
    #[derive(Debug, Default)]
    struct Captured {
        helo: String,
        mail_from: String,
        rcpt_to: Vec<String>,
        data: String,
        quit: bool,
    }

    /// A one-connection SMTP server speaking just enough of the protocol.
    /// With `refuse_rcpt` it refuses every recipient; with `ehlo_refused`
    /// it only understands HELO.
    async fn smtp_server(refuse_rcpt: bool, ehlo_refused: bool) -> (String, JoinHandle<Captured>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let address = listener.local_addr().expect("address").to_string();
        let handle = tokio::spawn(async move {
            let mut captured = Captured::default();
            let (stream, _) = listener.accept().await.expect("accept");
            let (read, mut w) = stream.into_split();
            let mut reader = BufReader::new(read);
            w.write_all(b"220 test.local ESMTP ready\r\n")
                .await
                .expect("greet");
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).await.expect("read") == 0 {
                    break;
                }
                let cmd = line.trim_end().to_owned();
                let upper = cmd.to_ascii_uppercase();
                let reply: &[u8] = if upper.starts_with("EHLO ") {
                    if ehlo_refused {
                        b"502 5.5.2 command not recognized\r\n"
                    } else {
                        captured.helo = cmd[5..].to_owned();
                        b"250-test.local greets you\r\n250-8BITMIME\r\n250 SIZE 1000000\r\n"
                    }
                } else if upper.starts_with("HELO ") {
                    captured.helo = cmd[5..].to_owned();
                    b"250 test.local\r\n"
                } else if upper.starts_with("MAIL FROM:") {
                    captured.mail_from = cmd[10..].to_owned();
                    b"250 2.1.0 ok\r\n"
                } else if upper.starts_with("RCPT TO:") {
                    if refuse_rcpt {
                        b"550 5.1.1 mailbox unavailable\r\n"
                    } else {
                        captured.rcpt_to.push(cmd[8..].to_owned());
                        b"250 2.1.5 ok\r\n"
                    }
                } else if upper == "DATA" {
                    w.write_all(b"354 end with <CRLF>.<CRLF>\r\n")
                        .await
                        .expect("354");
                    loop {
                        let mut data_line = String::new();
                        if reader.read_line(&mut data_line).await.expect("data") == 0 {
                            break;
                        }
                        if data_line == ".\r\n" {
                            break;
                        }
                        let unstuffed = data_line.strip_prefix('.').unwrap_or(&data_line);
                        captured.data.push_str(unstuffed);
                    }
                    b"250 2.0.0 queued\r\n"
                } else if upper == "QUIT" {
                    captured.quit = true;
                    w.write_all(b"221 2.0.0 bye\r\n").await.expect("bye");
                    break;
                } else {
                    b"502 5.5.2 command not recognized\r\n"
                };
                w.write_all(reply).await.expect("reply");
            }
            captured
        });
        (address, handle)
    }

    #[tokio::test]
    async fn file_sink_appends_one_json_line_per_delivery() {
        let dir = temp_dir();
        let sink = FileSink::new(&dir);
        let message = "Hello Ana, your order has shipped. Tracking number: 1Z9.";
        sink.send(Channel::Sms, &outgoing("+4915112345678", message))
            .await
            .expect("first delivery");
        sink.send(Channel::Sms, &outgoing("+4915112345678", "second"))
            .await
            .expect("second delivery");
        let text = tokio::fs::read_to_string(dir.join("sms.log"))
            .await
            .expect("sms.log written");
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 2, "{text}");
        let first: serde_json::Value = serde_json::from_str(lines[0]).expect("json line");
        assert_eq!(
            first["notification_id"],
            "0190f3a4-0000-7000-8000-00000000000a"
        );
        assert_eq!(first["event"], "shipped");
        assert_eq!(first["channel"], "sms");
        assert_eq!(first["to"], "+4915112345678");
        assert_eq!(first["message"], message);
        assert_eq!(first["time"], "2026-12-01T09:30:00.000Z");
        assert!(!dir.join("email.log").exists(), "other channels untouched");
        let _ = tokio::fs::remove_dir_all(&dir).await;
    }

    #[tokio::test]
    async fn smtp_sink_delivers_recipient_subject_and_body() {
        let (address, server) = smtp_server(false, false).await;
        let sink = SmtpSink::new(address, "orders@backorder.local");
        let message = "Hello Ana, your order has shipped with UPS.\n.hidden dot line";
        sink.send(&outgoing("ana@example.com", message))
            .await
            .expect("accepted by the server");
        let captured = server.await.expect("server finished");
        assert_eq!(captured.helo, "backorder.local");
        assert_eq!(captured.mail_from, "<orders@backorder.local>");
        assert_eq!(captured.rcpt_to, vec!["<ana@example.com>".to_owned()]);
        assert!(
            captured
                .data
                .contains("Subject: Your order has shipped\r\n"),
            "{}",
            captured.data
        );
        assert!(captured.data.contains("To: <ana@example.com>\r\n"));
        assert!(
            captured
                .data
                .contains("\r\n\r\nHello Ana, your order has shipped with UPS.\r\n"),
            "{}",
            captured.data
        );
        assert!(
            captured.data.contains("\r\n.hidden dot line\r\n"),
            "dot-stuffing undone by the server: {}",
            captured.data
        );
        assert!(captured.quit);
    }

    #[tokio::test]
    async fn smtp_sink_falls_back_to_helo() {
        let (address, server) = smtp_server(false, true).await;
        let sink = SmtpSink::new(address, "orders@shop.example");
        sink.send(&outgoing(
            "bob@example.org",
            "Hello Bob, your order was delivered.",
        ))
        .await
        .expect("accepted after HELO");
        let captured = server.await.expect("server finished");
        assert_eq!(captured.helo, "shop.example");
        assert_eq!(captured.rcpt_to, vec!["<bob@example.org>".to_owned()]);
        assert!(
            captured
                .data
                .contains("Hello Bob, your order was delivered.")
        );
    }

    #[tokio::test]
    async fn smtp_sink_reports_a_refused_recipient() {
        let (address, server) = smtp_server(true, false).await;
        let sink = SmtpSink::new(address, "orders@backorder.local");
        let error = sink
            .send(&outgoing("nobody@example.com", "Hello."))
            .await
            .expect_err("recipient refused");
        match &error {
            SinkError::Smtp { stage, reply } => {
                assert_eq!(*stage, "RCPT TO");
                assert!(reply.starts_with("550"), "{reply}");
            }
            other => panic!("expected an SMTP refusal, got {other:?}"),
        }
        drop(sink);
        server.abort();
    }

    #[tokio::test]
    async fn sinks_route_email_to_smtp_and_the_rest_to_files() {
        let (address, server) = smtp_server(false, false).await;
        let dir = temp_dir();
        let sinks = Sinks::new(
            FileSink::new(&dir),
            Some(SmtpSink::new(address, "orders@backorder.local")),
        );
        sinks
            .send(Channel::Email, &outgoing("ana@example.com", "By mail."))
            .await
            .expect("email via smtp");
        sinks
            .send(Channel::Push, &outgoing("push-token-1", "By push."))
            .await
            .expect("push via file");
        let captured = server.await.expect("server finished");
        assert!(captured.data.contains("By mail."));
        assert!(!dir.join("email.log").exists());
        let push = tokio::fs::read_to_string(dir.join("push.log"))
            .await
            .expect("push.log");
        assert!(push.contains("By push."));
        let _ = tokio::fs::remove_dir_all(&dir).await;
    }

    #[test]
    fn long_paragraphs_are_wrapped_at_spaces() {
        let paragraph = "word ".repeat(40);
        let lines = wrap(paragraph.trim_end());
        assert!(lines.len() > 1);
        assert!(lines.iter().all(|l| l.chars().count() <= WRAP_WIDTH));
        assert_eq!(lines.join(" "), paragraph.trim_end());
        let long = "x".repeat(2000);
        let lines = wrap(&long);
        assert!(lines.iter().all(|l| l.len() <= MAX_LINE_BYTES));
        assert_eq!(lines.concat(), long);
    }
}
