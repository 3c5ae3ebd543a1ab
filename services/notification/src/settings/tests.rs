//! Channel settings as the service reads them: defaults, files for secrets,
//! and the mistakes refused at start with the key named.

use std::path::PathBuf;

use backorder_platform::ids::new_id_string;
use chrono::Utc;

use crate::Config;
use crate::domain::Channel;
use crate::sink::{Outgoing, SmtpTls};
use crate::test_support::relay::{PASSWORD, Security, USER, relay};
use crate::test_support::tls::TestCa;

fn load(pairs: &[(&str, &str)]) -> Result<Config, String> {
    let overrides: Vec<(String, String)> = pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    Config::load_with(&overrides).map_err(|e| e.to_string())
}

fn refused(pairs: &[(&str, &str)], naming: &[&str]) {
    let error = load(pairs).expect_err("refused at start");
    for key in naming {
        assert!(error.contains(key), "{key} not named: {error}");
    }
}

fn temp_file(content: &str) -> PathBuf {
    let path = std::env::temp_dir().join(format!("notification-setting-{}", new_id_string()));
    std::fs::write(&path, content).expect("written");
    path
}

#[test]
fn by_default_email_goes_to_a_file_without_tls_and_no_webhook() {
    let config = load(&[]).expect("defaults load");
    let channels = &config.channels;
    assert_eq!(channels.smtp_tls, SmtpTls::None);
    assert!(channels.smtp_address.is_none() && channels.webhook_url.is_none());
    assert_eq!(channels.webhook_timeout_ms, 10_000);
    assert_eq!(
        (
            channels.webhook_initial_backoff_ms,
            channels.webhook_max_backoff_ms,
            channels.webhook_max_attempts
        ),
        (1_000, 300_000, 1_000)
    );
    assert!(channels.sinks().expect("sinks").webhook().is_none());
}

/// The password and the CA come from files (mounted secrets), the password
/// trimmed of its trailing newline, and reach the relay encrypted.
#[tokio::test]
async fn password_and_ca_files_are_read_and_used() {
    let ca = TestCa::new();
    let (address, server) = relay(Security::StartTls, Some(ca.server.clone())).await;
    let ca_file = ca.ca_file();
    let password_file = temp_file(&format!("{PASSWORD}\n"));
    let config = load(&[
        ("channels.smtp_address", &address),
        ("channels.smtp_tls", "starttls"),
        ("channels.smtp_username", USER),
        (
            "channels.smtp_password_file",
            &password_file.display().to_string(),
        ),
        ("channels.smtp_ca_file", &ca_file.display().to_string()),
    ])
    .expect("usable settings");
    let debug = format!("{config:?}");
    let out = Outgoing {
        notification_id: "0190f3a4-0000-7000-8000-00000000000a",
        event: "ready",
        subject: "Your order is ready",
        to: "ana@example.com",
        message: "Hello Ana.",
        time: Utc::now(),
    };
    config
        .channels
        .sinks()
        .expect("sinks")
        .send(Channel::Email, &out)
        .await
        .expect("delivered");
    let session = server.await.expect("relay finished");
    assert!(
        session.data_encrypted && session.authenticated,
        "{session:?}"
    );
    let _ = std::fs::remove_file(ca_file);
    let _ = std::fs::remove_file(password_file);
    assert!(!debug.contains(PASSWORD), "{debug}");
}

#[test]
fn secrets_never_show_in_the_configs_debug_output() {
    let config = load(&[
        ("channels.smtp_address", "mail:587"),
        ("channels.smtp_tls", "starttls"),
        ("channels.smtp_username", USER),
        ("channels.smtp_password", "hunter2-smtp-password"),
        ("channels.webhook_url", "https://hooks.example.com/x"),
        ("channels.webhook_secret", "hunter2-webhook-secret"),
    ])
    .expect("usable settings");
    let debug = format!("{config:?} {:?}", config.channels.sinks().expect("sinks"));
    assert!(!debug.contains("hunter2"), "{debug}");
    assert!(debug.contains("[redacted]"), "{debug}");
}

#[test]
fn a_login_over_plain_text_is_refused_unless_opted_in() {
    let login = [
        ("channels.smtp_address", "mail:25"),
        ("channels.smtp_username", USER),
        ("channels.smtp_password", PASSWORD),
    ];
    refused(
        &login,
        &[
            "channels.smtp_username",
            "channels.smtp_tls",
            "smtp_allow_plaintext_auth",
        ],
    );
    let mut opted_in = login.to_vec();
    opted_in.push(("channels.smtp_allow_plaintext_auth", "true"));
    load(&opted_in).expect("explicitly allowed");
    let mut tls = login.to_vec();
    tls.push(("channels.smtp_tls", "tls"));
    load(&tls).expect("implicit TLS");
}

#[test]
fn unusable_smtp_settings_are_refused_with_the_key_named() {
    let relay = ("channels.smtp_address", "mail:587");
    let starttls = ("channels.smtp_tls", "starttls");
    refused(&[relay, ("channels.smtp_tls", "ssl")], &["smtp_tls"]);
    refused(
        &[relay, starttls, ("channels.smtp_username", USER)],
        &["channels.smtp_password"],
    );
    refused(
        &[relay, starttls, ("channels.smtp_password", "pw")],
        &["channels.smtp_username"],
    );
    let file = temp_file("pw");
    let path = file.display().to_string();
    refused(
        &[
            relay,
            starttls,
            ("channels.smtp_username", USER),
            ("channels.smtp_password", "pw"),
            ("channels.smtp_password_file", &path),
        ],
        &["channels.smtp_password", "not both"],
    );
    refused(
        &[
            relay,
            starttls,
            ("channels.smtp_username", USER),
            ("channels.smtp_password_file", "/nonexistent/smtp-password"),
        ],
        &["channels.smtp_password_file", "/nonexistent/smtp-password"],
    );
    // A file that is not a certificate would silently trust nothing extra.
    refused(
        &[relay, starttls, ("channels.smtp_ca_file", &path)],
        &["channels.smtp_ca_file"],
    );
    let _ = std::fs::remove_file(file);
}

#[test]
fn unusable_webhook_settings_are_refused_with_the_key_named() {
    let url = (
        "channels.webhook_url",
        "https://hooks.example.com/backorder",
    );
    let secret = ("channels.webhook_secret", "whsec-0123456789abcdef");
    refused(&[url], &["channels.webhook_secret"]);
    refused(
        &[url, ("channels.webhook_secret", "short")],
        &["channels.webhook_secret"],
    );
    refused(
        &[("channels.webhook_url", "hooks.example.com"), secret],
        &["channels.webhook_url"],
    );
    refused(
        &[url, secret, ("channels.webhook_timeout_ms", "20000")],
        &["channels.webhook_timeout_ms"],
    );
    refused(
        &[url, secret, ("channels.webhook_timeout_ms", "0")],
        &["channels.webhook_timeout_ms"],
    );
    refused(
        &[
            url,
            secret,
            ("channels.webhook_initial_backoff_ms", "5000"),
            ("channels.webhook_max_backoff_ms", "1000"),
        ],
        &[
            "channels.webhook_initial_backoff_ms",
            "channels.webhook_max_backoff_ms",
        ],
    );
    refused(
        &[url, secret, ("channels.webhook_max_attempts", "0")],
        &["channels.webhook_max_attempts"],
    );
    let file = temp_file("whsec-0123456789abcdef\n");
    let path = file.display().to_string();
    let from_file = load(&[url, ("channels.webhook_secret_file", &path)]).expect("secret file");
    assert!(
        from_file
            .channels
            .sinks()
            .expect("sinks")
            .webhook()
            .is_some()
    );
    refused(
        &[url, secret, ("channels.webhook_secret_file", &path)],
        &["not both"],
    );
    let _ = std::fs::remove_file(file);
}
