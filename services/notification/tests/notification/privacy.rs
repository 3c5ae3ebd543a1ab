use std::sync::{Arc, Mutex};
use std::time::Duration;

use notification::domain::{Channel, DeliveryStatus, Event};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::fmt::format::FmtSpan;

use notification::store::webhook;

use crate::helpers::{Prepared, call, eventually, notify};
use crate::hook::Hook;

/// Everything the subscriber writes.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Captured {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().expect("log buffer")).into_owned()
    }
}

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("log buffer").extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Captured {
    type Writer = Captured;

    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

/// An SMTP relay that refuses every recipient and quotes the address in
/// its refusal, as real relays do.
async fn refusing_relay() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let address = listener.local_addr().expect("address").to_string();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let (read, mut write) = stream.into_split();
            let mut reader = BufReader::new(read);
            if write.write_all(b"220 relay ready\r\n").await.is_err() {
                continue;
            }
            let mut line = String::new();
            while reader.read_line(&mut line).await.is_ok_and(|n| n > 0) {
                let command = line.trim_end().to_owned();
                line.clear();
                let reply = match command.get(..4).map(str::to_ascii_uppercase).as_deref() {
                    Some("RCPT") => format!(
                        "550 5.1.1 {}: recipient address rejected\r\n",
                        command.get(8..).unwrap_or("")
                    ),
                    Some("QUIT") => "221 bye\r\n".to_owned(),
                    _ => "250 ok\r\n".to_owned(),
                };
                if write.write_all(reply.as_bytes()).await.is_err() {
                    break;
                }
            }
        }
    });
    address
}

/// Every log line and span field of a Notify, its deliveries (one refused by
/// the relay with the address quoted), its webhook attempts (one failed)
/// and the reads after it, at the most verbose level: no e-mail address,
/// phone number or name in any of them.
#[tokio::test]
async fn no_email_phone_or_name_reaches_a_log_line_or_span() {
    const NAME: &str = "Zebulon Quartermaine";
    const EMAIL: &str = "zebulon.quartermaine@example.org";
    const PHONE: &str = "+4915198765432";

    let captured = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(captured.clone())
        .with_max_level(tracing::Level::TRACE)
        .with_span_events(FmtSpan::FULL)
        .with_ansi(false)
        .finish();
    // The test runs on one thread, and so does the service it starts.
    let _guard = tracing::subscriber::set_default(subscriber);
    // With one dispatcher registered, tracing decides whether a callsite is
    // wanted by asking the default of whichever thread reaches it first: a
    // parallel test thread, with no subscriber, would switch off events this
    // test must see. A second dispatcher makes it ask every registered one.
    let _second = tracing::Dispatch::new(tracing_subscriber::registry());

    let relay = refusing_relay().await;
    // The webhook fails once, so a retry is logged too.
    let hook = Hook::start(&[500], None).await;
    let service = Prepared::new("notification_privacy")
        .await
        .start(&[
            ("channels.smtp_address", relay.as_str()),
            ("channels.webhook_url", hook.base.as_str()),
            ("channels.webhook_secret", "whsec-privacy-0123456789"),
            ("channels.webhook_initial_backoff_ms", "50"),
        ])
        .await;
    let customer_id = service.add_customer(NAME, EMAIL, PHONE).await;
    let request = notify(&customer_id, Event::Shipped.code());
    tracing::callsite::rebuild_interest_cache();
    let mut client = service.client().await;
    let n = client
        .notify(call(request.clone()))
        .await
        .expect("notified")
        .into_inner()
        .notification
        .expect("notification");
    client
        .notify(call(request.clone()))
        .await
        .expect("repeated");
    client
        .get_customer(call(
            backorder_proto::notification::v1::GetCustomerRequest {
                customer_id: customer_id.clone(),
            },
        ))
        .await
        .expect("read back");

    // The personal data was there to leak: in the message, the refusal
    // and the SMS sink.
    assert!(n.message.contains(NAME), "{}", n.message);
    let email = &n.deliveries[0];
    assert_eq!(email.status, DeliveryStatus::Failed.code());
    assert!(email.error.contains(EMAIL), "{}", email.error);
    assert_eq!(n.deliveries[1].status, DeliveryStatus::Sent.code());
    assert_eq!(service.lines(Channel::Sms).await[0]["to"], PHONE);
    let posted = hook.wait_for(2).await;
    assert!(
        posted[1].json()["message"]
            .as_str()
            .is_some_and(|m| m.contains(NAME))
    );
    for attempt in &posted {
        let body = String::from_utf8_lossy(&attempt.body).into_owned();
        assert!(!body.contains(EMAIL) && !body.contains(PHONE), "{body}");
    }
    eventually(
        "the webhook delivery recorded",
        Duration::from_secs(10),
        || async {
            webhook::find(service.db(), &request.request_id)
                .await
                .expect("read")
                .is_some_and(|d| d.status == DeliveryStatus::Sent.code())
        },
    )
    .await;
    service.stop_within(Duration::from_secs(10)).await;

    let logs = captured.text();
    assert!(
        logs.contains("delivery handed over")
            && logs.contains("webhook attempt")
            && logs.contains(&request.request_id),
        "the capture works: {logs}"
    );
    for secret in [EMAIL, PHONE, NAME, "Zebulon", "Quartermaine"] {
        let leaks: Vec<&str> = logs.lines().filter(|l| l.contains(secret)).collect();
        assert!(leaks.is_empty(), "{secret} in the logs: {leaks:#?}");
    }
}
