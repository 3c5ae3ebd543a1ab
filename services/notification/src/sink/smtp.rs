//! A minimal SMTP client for a relay next to the service: EHLO (HELO if
//! refused), MAIL FROM, RCPT TO, DATA, QUIT, checking every reply code.

use std::time::Duration;

use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

use super::mail::compose;
use super::{Outgoing, SinkError};

/// Longest a whole SMTP session may take. Kept well below
/// [`crate::domain::RESEND_AFTER_MS`] so a slow send is not taken for a
/// crashed one.
pub const SMTP_TIMEOUT: Duration = Duration::from_secs(15);
/// Most lines of one SMTP reply accepted.
const MAX_REPLY_LINES: usize = 100;

/// Sends e-mail through an SMTP relay.
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
        writer
            .write_all(compose(&self.from, &self.helo, out).as_bytes())
            .await?;
        writer.flush().await?;
        expect(&mut reader, "message", &[250]).await?;
        // The message is accepted; a rude goodbye changes nothing.
        let _ = command(&mut writer, &mut reader, "QUIT").await;
        Ok(())
    }
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
