use std::path::PathBuf;

use chrono::{DateTime, Utc};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use super::mail::{MAX_LINE_BYTES, WRAP_WIDTH, compose, wrap};
use super::*;

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
            .contains("Date: Tue, 01 Dec 2026 09:30:00 +0000\r\n"),
        "{}",
        captured.data
    );
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
fn mail_headers_carry_an_rfc5322_date_in_utc() {
    let mut out = outgoing("ana@example.com", "Hello.");
    out.time = DateTime::from_timestamp_millis(0).expect("epoch");
    let data = compose("orders@backorder.local", "backorder.local", &out);
    assert!(
        data.contains("Date: Thu, 01 Jan 1970 00:00:00 +0000\r\n"),
        "{data}"
    );
    assert!(
        data.contains(
            "Message-ID: <0190f3a4-0000-7000-8000-00000000000a.email@backorder.local>\r\n"
        ),
        "{data}"
    );
    assert!(data.ends_with("\r\nHello.\r\n.\r\n"), "{data}");
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
    // A long word of two-byte characters is cut between characters.
    let wide = "é".repeat(1000);
    let lines = wrap(&wide);
    assert!(lines.iter().all(|l| l.len() <= MAX_LINE_BYTES));
    assert_eq!(lines.concat(), wide);
}
