use std::path::PathBuf;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use super::*;

mod smtp_tls;
mod webhook;

/// 2026-12-01T09:30:00Z.
fn dec_1_2026() -> DateTime<Utc> {
    DateTime::from_timestamp_millis(1_796_117_400_000).expect("in range")
}

fn outgoing<'a>(to: &'a str, message: &'a str) -> Outgoing<'a> {
    Outgoing {
        notification_id: "0190f3a4-0000-7000-8000-00000000000a",
        event: "shipped",
        subject: "Your order has shipped",
        to,
        message,
        time: dec_1_2026(),
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

fn smtp_sink(address: &str) -> SmtpSink {
    SmtpSink::new(address, "orders@backorder.local").expect("usable settings")
}

/// The message text of `data` (what follows the blank line after the
/// headers), quoted-printable decoded.
fn decoded_body(data: &str) -> String {
    let (_, body) = data.split_once("\r\n\r\n").expect("headers end");
    let joined = body.replace("=\r\n", "");
    let bytes = joined.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'=' {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).expect("hex digits");
            decoded.push(u8::from_str_radix(hex, 16).expect("hex escape"));
            i += 3;
        } else {
            decoded.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(decoded).expect("utf-8 text")
}

#[tokio::test]
async fn smtp_sink_delivers_recipient_headers_and_body() {
    let (address, server) = smtp_server(false, false).await;
    let message = "Hello Ana, your order has shipped with UPS.\n.hidden dot line";
    smtp_sink(&address)
        .send(&outgoing("ana@example.com", message))
        .await
        .expect("accepted by the server");
    let captured = server.await.expect("server finished");
    assert_eq!(captured.helo, "backorder.local");
    assert_eq!(captured.mail_from, "<orders@backorder.local>");
    assert_eq!(captured.rcpt_to, vec!["<ana@example.com>".to_owned()]);
    let data = &captured.data;
    for header in [
        "From: orders@backorder.local\r\n",
        "To: ana@example.com\r\n",
        "Subject: Your order has shipped\r\n",
        // RFC 5322 date, in UTC with a two-digit day.
        "Date: Tue, 01 Dec 2026 09:30:00 +0000\r\n",
        // The notification id: a delivery sent twice is one message.
        "Message-ID: <0190f3a4-0000-7000-8000-00000000000a.email@backorder.local>\r\n",
        "MIME-Version: 1.0\r\n",
        "Content-Type: text/plain; charset=utf-8\r\n",
    ] {
        assert!(data.contains(header), "{header:?} missing: {data}");
    }
    assert!(
        data.trim_end()
            .ends_with("\r\n\r\nHello Ana, your order has shipped with UPS.\r\n.hidden dot line"),
        "body, dot-stuffing undone by the server: {data}"
    );
    assert!(captured.quit, "the session ends with QUIT");
}

/// A long line and non-ASCII text arrive intact, in lines SMTP carries
/// (at most 998 octets) and in 7-bit data a relay without 8BITMIME takes.
#[tokio::test]
async fn smtp_sink_encodes_long_lines_and_non_ascii_text() {
    let (address, server) = smtp_server(false, false).await;
    let message = format!(
        "Hello José, your order is ready.\n{}= done",
        "SKU-123 x 4, ".repeat(150)
    );
    smtp_sink(&address)
        .send(&outgoing("jose@example.com", &message))
        .await
        .expect("accepted by the server");
    let captured = server.await.expect("server finished");
    let data = &captured.data;
    assert!(data.is_ascii(), "{data}");
    assert!(data.split("\r\n").all(|line| line.len() <= 998), "{data}");
    assert!(
        data.contains("Content-Transfer-Encoding: quoted-printable\r\n"),
        "{data}"
    );
    assert_eq!(decoded_body(data).trim_end(), message.replace('\n', "\r\n"));
}

/// lettre speaks EHLO only (every relay of this century does): a relay
/// that refuses it fails the delivery with the relay's answer.
#[tokio::test]
async fn smtp_sink_reports_a_refused_ehlo() {
    let (address, server) = smtp_server(false, true).await;
    let error = smtp_sink(&address)
        .send(&outgoing("bob@example.org", "Hello Bob."))
        .await
        .expect_err("EHLO refused");
    match &error {
        SinkError::Smtp(smtp) => {
            assert!(smtp.is_permanent(), "{error}");
            assert_eq!(smtp.status().map(u16::from), Some(502), "{error}");
        }
        other => panic!("expected an SMTP refusal, got {other:?}"),
    }
    assert!(server.await.expect("server finished").rcpt_to.is_empty());
}

#[tokio::test]
async fn smtp_sink_reports_a_refused_recipient() {
    let (address, server) = smtp_server(true, false).await;
    let error = smtp_sink(&address)
        .send(&outgoing("nobody@example.com", "Hello."))
        .await
        .expect_err("recipient refused");
    match &error {
        SinkError::Smtp(smtp) => {
            assert_eq!(smtp.status().map(u16::from), Some(550), "{error}");
        }
        other => panic!("expected an SMTP refusal, got {other:?}"),
    }
    // The reason stored with the delivery quotes the relay.
    assert!(error.to_string().contains("mailbox unavailable"), "{error}");
    let captured = server.await.expect("server finished");
    assert!(captured.data.is_empty(), "no message after the refusal");
}

/// lettre bounds connecting only: a relay that accepts and never greets
/// must still end the session at the sink's timeout.
#[tokio::test]
async fn smtp_sink_gives_up_on_a_silent_relay() {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let address = listener.local_addr().expect("address").to_string();
    let silent = tokio::spawn(async move {
        let (stream, _) = listener.accept().await.expect("accept");
        std::future::pending::<()>().await;
        drop(stream);
    });
    let timeout = Duration::from_millis(300);
    let sink = SmtpSink::with_timeout(&address, "orders@backorder.local", timeout)
        .expect("usable settings");
    let started = Instant::now();
    let error = tokio::time::timeout(
        Duration::from_secs(10),
        sink.send(&outgoing("ana@example.com", "Hello.")),
    )
    .await
    .expect("the sink's own timeout ends the session")
    .expect_err("no greeting");
    assert!(
        matches!(error, SinkError::Timeout(t) if t == timeout),
        "{error}"
    );
    assert!(started.elapsed() >= timeout);
    silent.abort();
}

#[test]
fn smtp_settings_need_a_port_and_a_sender_address() {
    for address in ["127.0.0.1:2525", "mail:25", "[::1]:25", " relay.local:587 "] {
        SmtpSink::new(address, "orders@backorder.local")
            .unwrap_or_else(|e| panic!("{address:?} refused: {e}"));
    }
    for address in ["mail", "mail:", ":25", "mail:smtp", "mail:70000"] {
        assert!(
            SmtpSink::new(address, "orders@backorder.local").is_err(),
            "{address:?} accepted"
        );
    }
    assert!(SmtpSink::new("mail:25", "not an address").is_err());
}

#[tokio::test]
async fn sinks_route_email_to_smtp_and_the_rest_to_files() {
    let (address, server) = smtp_server(false, false).await;
    let dir = temp_dir();
    let sinks = Sinks::new(FileSink::new(&dir), Some(smtp_sink(&address)));
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
