//! E-mail over TLS with a login, against a real relay started by each test:
//! delivered only encrypted and logged in, refused otherwise.

use super::{outgoing, *};
use crate::test_support::relay::{PASSWORD, Security, Session, USER, relay};
use crate::test_support::tls::TestCa;

fn settings(address: &str, tls: SmtpTls, ca: Option<&TestCa>, password: &str) -> SmtpSettings {
    SmtpSettings {
        tls,
        ca_pem: ca.map(|ca| ca.ca_pem.clone().into_bytes()),
        login: Some(SmtpLogin {
            username: USER.to_owned(),
            password: Secret::new(password),
        }),
        timeout: Duration::from_secs(10),
        ..SmtpSettings::plain(address, "orders@backorder.local")
    }
}

async fn send(settings: &SmtpSettings) -> Result<(), SinkError> {
    SmtpSink::from_settings(settings)
        .expect("usable settings")
        .send(&outgoing(
            "ana@example.com",
            "Hello Ana, your order has shipped.",
        ))
        .await
}

fn assert_delivered_encrypted_after_login(session: &Session) {
    assert!(session.tls, "{session:?}");
    assert_eq!(
        session.auth,
        Some((USER.to_owned(), PASSWORD.to_owned(), true)),
        "credentials presented, encrypted"
    );
    assert!(session.authenticated);
    assert!(session.data_encrypted, "{session:?}");
    assert_eq!(session.mail_from, "<orders@backorder.local>");
    assert!(
        session.data.contains("Hello Ana, your order has shipped."),
        "{}",
        session.data
    );
}

#[tokio::test]
async fn starttls_then_login_then_the_message() {
    let ca = TestCa::new();
    let (address, server) = relay(Security::StartTls, Some(ca.server.clone())).await;
    send(&settings(&address, SmtpTls::Starttls, Some(&ca), PASSWORD))
        .await
        .expect("delivered");
    let session = server.await.expect("relay finished");
    assert_delivered_encrypted_after_login(&session);
    let upgrade = session
        .commands
        .iter()
        .position(|c| c == "STARTTLS")
        .expect("STARTTLS sent");
    let login = session
        .commands
        .iter()
        .position(|c| c == "AUTH")
        .expect("AUTH sent");
    assert!(upgrade < login, "{:?}", session.commands);
}

#[tokio::test]
async fn implicit_tls_then_login_then_the_message() {
    let ca = TestCa::new();
    let (address, server) = relay(Security::Implicit, Some(ca.server.clone())).await;
    send(&settings(&address, SmtpTls::Tls, Some(&ca), PASSWORD))
        .await
        .expect("delivered");
    let session = server.await.expect("relay finished");
    assert_delivered_encrypted_after_login(&session);
    assert!(!session.commands.iter().any(|c| c == "STARTTLS"));
}

#[tokio::test]
async fn a_wrong_password_fails_the_delivery() {
    let ca = TestCa::new();
    let (address, server) = relay(Security::StartTls, Some(ca.server.clone())).await;
    let error = send(&settings(&address, SmtpTls::Starttls, Some(&ca), "wrong"))
        .await
        .expect_err("login refused");
    match &error {
        SinkError::Smtp(smtp) => assert_eq!(smtp.status().map(u16::from), Some(535), "{error}"),
        other => panic!("expected the relay's refusal, got {other:?}"),
    }
    let session = server.await.expect("relay finished");
    assert!(!session.authenticated);
    assert!(session.data.is_empty() && session.mail_from.is_empty());
}

/// STARTTLS required: a relay that does not offer it (or a path that
/// strips the offer) gets neither the password nor the message.
#[tokio::test]
async fn required_starttls_not_offered_fails_before_anything_is_sent() {
    let ca = TestCa::new();
    let (address, server) = relay(Security::NoStartTls, None).await;
    let error = send(&settings(&address, SmtpTls::Starttls, Some(&ca), PASSWORD))
        .await
        .expect_err("no STARTTLS");
    assert!(error.to_string().contains("STARTTLS"), "{error}");
    let session = server.await.expect("relay finished");
    assert_eq!(session.auth, None, "{:?}", session.commands);
    assert!(session.mail_from.is_empty() && session.data.is_empty());
}

/// The relay's certificate is checked: one signed by a CA the sink was not
/// told to trust ends the session before the login.
#[tokio::test]
async fn an_untrusted_relay_certificate_fails_before_the_login() {
    let ca = TestCa::new();
    let (address, server) = relay(Security::StartTls, Some(ca.server.clone())).await;
    let error = send(&settings(&address, SmtpTls::Starttls, None, PASSWORD))
        .await
        .expect_err("certificate not trusted");
    assert!(matches!(error, SinkError::Smtp(_)), "{error:?}");
    let session = server.await.expect("relay finished");
    assert_eq!(session.auth, None);
    assert!(session.data.is_empty());
}

#[tokio::test]
async fn a_login_without_tls_is_refused_unless_explicitly_allowed() {
    let address = "127.0.0.1:2525";
    let error = SmtpSink::from_settings(&settings(address, SmtpTls::None, None, PASSWORD))
        .expect_err("plain-text login refused");
    let text = error.to_string();
    assert!(
        text.contains("channels.smtp_tls") && text.contains("smtp_allow_plaintext_auth"),
        "{text}"
    );

    // The opt-in: a relay on the same host, reached in plain text.
    let (address, server) = relay(Security::Plain, None).await;
    let allowed = SmtpSettings {
        allow_plaintext_auth: true,
        ..settings(&address, SmtpTls::None, None, PASSWORD)
    };
    send(&allowed).await.expect("delivered");
    let session = server.await.expect("relay finished");
    assert_eq!(
        session.auth,
        Some((USER.to_owned(), PASSWORD.to_owned(), false))
    );
    assert!(!session.tls && session.authenticated);
}

#[test]
fn a_ca_without_tls_is_refused() {
    let ca = TestCa::new();
    let settings = SmtpSettings {
        ca_pem: Some(ca.ca_pem.into_bytes()),
        ..SmtpSettings::plain("mail:25", "orders@backorder.local")
    };
    let error = SmtpSink::from_settings(&settings).expect_err("CA with tls none");
    assert!(
        error.to_string().contains("channels.smtp_ca_file"),
        "{error}"
    );
}
