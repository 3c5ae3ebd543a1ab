//! A one-session SMTP relay speaking just enough of the protocol for the
//! client's security to show: STARTTLS or TLS from the first byte (rustls,
//! certificate of a [`TestCa`]), AUTH PLAIN checked against one user, and a
//! record of what crossed the connection and whether it was encrypted.

use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use rustls::ServerConfig;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_rustls::TlsAcceptor;

/// How the relay protects its sessions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Security {
    /// Plain text; AUTH offered anyway.
    Plain,
    /// STARTTLS offered; AUTH offered only once encrypted.
    StartTls,
    /// STARTTLS not offered (a relay or a path that strips it).
    NoStartTls,
    /// TLS from the first byte.
    Implicit,
}

/// The user the relay accepts.
pub(crate) const USER: &str = "mailer";
/// Their password.
pub(crate) const PASSWORD: &str = "s3cret pass, not logged";

/// What the relay saw.
#[derive(Debug, Default)]
pub(crate) struct Session {
    /// Whether TLS was in effect when the message data came.
    pub data_encrypted: bool,
    /// Whether TLS was ever established.
    pub tls: bool,
    /// User and password presented with AUTH, and whether encrypted then.
    pub auth: Option<(String, String, bool)>,
    /// Whether the login was accepted.
    pub authenticated: bool,
    /// Every command, in order (AUTH's argument left out).
    pub commands: Vec<String>,
    /// MAIL FROM argument.
    pub mail_from: String,
    /// Message data, dot-stuffing undone.
    pub data: String,
}

/// Starts a relay with `security`, presenting `tls` (needed for all but
/// [`Security::Plain`] and [`Security::NoStartTls`]); returns its address
/// and what it saw once the session ends.
pub(crate) async fn relay(
    security: Security,
    tls: Option<Arc<ServerConfig>>,
) -> (String, JoinHandle<Session>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let address = listener.local_addr().expect("address").to_string();
    let handle = tokio::spawn(async move {
        let mut session = Session::default();
        let (tcp, _) = listener.accept().await.expect("accept");
        let acceptor = tls.map(TlsAcceptor::from);
        if security == Security::Implicit {
            let acceptor = acceptor.expect("implicit TLS needs a certificate");
            let Ok(stream) = acceptor.accept(tcp).await else {
                return session;
            };
            session.tls = true;
            converse(stream, security, true, &mut session).await;
        } else if let Some(tcp) = converse(tcp, security, false, &mut session).await {
            let acceptor = acceptor.expect("STARTTLS needs a certificate");
            let Ok(stream) = acceptor.accept(tcp).await else {
                return session;
            };
            session.tls = true;
            converse(stream, security, true, &mut session).await;
        }
        session
    });
    (address, handle)
}

/// Runs commands on `stream` until QUIT or the client leaves; returns the
/// stream when the client asked for STARTTLS and was told to go ahead.
async fn converse<S>(
    stream: S,
    security: Security,
    encrypted: bool,
    session: &mut Session,
) -> Option<S>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let mut io = BufReader::new(stream);
    if !(encrypted && security == Security::StartTls) {
        io.write_all(b"220 relay.test ESMTP\r\n").await.ok()?;
    }
    loop {
        let mut line = String::new();
        if io.read_line(&mut line).await.unwrap_or(0) == 0 {
            return None;
        }
        let command = line.trim_end().to_owned();
        let upper = command.to_ascii_uppercase();
        let verb = upper.split(' ').next().unwrap_or("").to_owned();
        session.commands.push(if verb == "AUTH" {
            "AUTH".to_owned()
        } else {
            command.clone()
        });
        let reply: String = match verb.as_str() {
            "EHLO" => {
                let mut lines = vec!["250-relay.test".to_owned()];
                if security == Security::StartTls && !encrypted {
                    lines.push("250-STARTTLS".to_owned());
                }
                if encrypted || security == Security::Plain {
                    lines.push("250-AUTH PLAIN".to_owned());
                }
                lines.push("250 8BITMIME".to_owned());
                lines.join("\r\n") + "\r\n"
            }
            "STARTTLS" if security == Security::StartTls && !encrypted => {
                io.write_all(b"220 2.0.0 go ahead\r\n").await.ok()?;
                // The client waits for the answer before its handshake, so
                // nothing of it can be buffered yet.
                assert!(io.buffer().is_empty(), "data before the TLS handshake");
                return Some(io.into_inner());
            }
            "AUTH" => authenticate(&command, encrypted, session),
            "MAIL" if !session.authenticated => "530 5.7.0 authentication required\r\n".to_owned(),
            "MAIL" => {
                session.mail_from = command.get(10..).unwrap_or("").to_owned();
                "250 2.1.0 ok\r\n".to_owned()
            }
            "RCPT" => "250 2.1.5 ok\r\n".to_owned(),
            "DATA" => {
                io.write_all(b"354 go on\r\n").await.ok()?;
                loop {
                    let mut data = String::new();
                    if io.read_line(&mut data).await.unwrap_or(0) == 0 || data == ".\r\n" {
                        break;
                    }
                    session
                        .data
                        .push_str(data.strip_prefix('.').unwrap_or(&data));
                }
                session.data_encrypted = encrypted;
                "250 2.0.0 queued\r\n".to_owned()
            }
            "QUIT" => {
                let _ = io.write_all(b"221 2.0.0 bye\r\n").await;
                return None;
            }
            _ => "502 5.5.2 not recognized\r\n".to_owned(),
        };
        io.write_all(reply.as_bytes()).await.ok()?;
    }
}

/// `AUTH PLAIN <base64 of \0user\0password>`: records what was presented.
fn authenticate(command: &str, encrypted: bool, session: &mut Session) -> String {
    let mut words = command.split(' ').skip(1);
    let (Some(mechanism), Some(initial)) = (words.next(), words.next()) else {
        return "501 5.5.4 PLAIN with an initial response only\r\n".to_owned();
    };
    if !mechanism.eq_ignore_ascii_case("PLAIN") {
        return "504 5.5.4 unknown mechanism\r\n".to_owned();
    }
    let Ok(decoded) = STANDARD.decode(initial) else {
        return "501 5.5.2 bad base64\r\n".to_owned();
    };
    let text = String::from_utf8_lossy(&decoded).into_owned();
    let mut parts = text.split('\0').skip(1);
    let user = parts.next().unwrap_or("").to_owned();
    let password = parts.next().unwrap_or("").to_owned();
    session.authenticated = user == USER && password == PASSWORD;
    session.auth = Some((user, password, encrypted));
    if session.authenticated {
        "235 2.7.0 authenticated\r\n".to_owned()
    } else {
        "535 5.7.8 authentication credentials invalid\r\n".to_owned()
    }
}
