//! Credentials for a secured suite, made for one run: a certificate
//! authority, one certificate per service (its common name is the
//! service's name), a certificate the CA signed for no service, and one
//! bearer token per role in a tokens file that holds only their hashes.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use backorder_platform::access::Role;
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair};
use sha2::{Digest, Sha256};
use tonic::metadata::MetadataValue;
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Endpoint, Identity};

use crate::{CALL_DEADLINE, SERVICES};

/// Every token role, for tests that try them all.
pub const ROLES: [Role; 4] = [
    Role::Operator,
    Role::Storefront,
    Role::Warehouse,
    Role::Supplier,
];

/// Who a test calls as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credentials {
    /// Nothing: TLS without a client certificate or a token.
    None,
    /// A service's client certificate (`"order"`).
    Service(&'static str),
    /// A certificate the suite's CA signed for no service.
    Stranger,
    /// The bearer token of a role.
    Token(Role),
}

/// The files of a secured suite.
pub struct Pki {
    dir: PathBuf,
    ca_pem: String,
    tokens: BTreeMap<&'static str, String>,
}

fn role_name(role: Role) -> &'static str {
    match role {
        Role::Operator => "operator",
        Role::Storefront => "storefront",
        Role::Warehouse => "warehouse",
        Role::Supplier => "supplier",
    }
}

impl Pki {
    /// Writes a CA, the services' certificates and keys, and the tokens
    /// file under `dir`.
    pub fn create(dir: &Path) -> Self {
        let dir = dir.join("pki");
        std::fs::create_dir_all(&dir).expect("pki directory");
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(DnType::CommonName, "backorder suite CA");
        let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().expect("CA key"))
            .expect("CA certificate");
        std::fs::write(dir.join("ca.pem"), ca.pem()).expect("CA written");
        for name in SERVICES.iter().copied().chain(["stranger"]) {
            let key = KeyPair::generate().expect("key");
            let mut params =
                CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])
                    .expect("params");
            params.distinguished_name.push(DnType::CommonName, name);
            let certificate = params.signed_by(&key, &*ca).expect("certificate");
            std::fs::write(dir.join(format!("{name}.pem")), certificate.pem()).expect("cert");
            std::fs::write(dir.join(format!("{name}-key.pem")), key.serialize_pem()).expect("key");
        }
        let mut tokens = BTreeMap::new();
        let mut file = String::new();
        for role in ROLES {
            let name = role_name(role);
            let token = format!("{name}-{}", uuid::Uuid::now_v7().simple());
            let hash: String = Sha256::digest(token.as_bytes())
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect();
            file.push_str(&format!(
                "[[token]]\nname = \"{name}-of-the-test\"\nrole = \"{name}\"\nsha256 = \"{hash}\"\n\n"
            ));
            tokens.insert(name, token);
        }
        std::fs::write(dir.join("tokens.toml"), file).expect("tokens file");
        Self {
            ca_pem: ca.pem(),
            dir,
            tokens,
        }
    }

    /// The settings that secure `service` (dotted keys).
    pub fn settings(&self, service: &str) -> Vec<(String, String)> {
        let path = |file: String| self.dir.join(file).display().to_string();
        vec![
            ("tls.cert_file".into(), path(format!("{service}.pem"))),
            ("tls.key_file".into(), path(format!("{service}-key.pem"))),
            ("tls.ca_file".into(), path("ca.pem".into())),
            ("tls.required".into(), "true".into()),
            ("access.tokens_file".into(), path("tokens.toml".into())),
            ("access.reload_seconds".into(), "1".into()),
        ]
    }

    /// The bearer token of `role`.
    pub fn token(&self, role: Role) -> &str {
        &self.tokens[role_name(role)]
    }

    /// The `authorization` value of `credentials`, if they are a token.
    pub fn authorization(
        &self,
        credentials: &Credentials,
    ) -> Option<MetadataValue<tonic::metadata::Ascii>> {
        match credentials {
            Credentials::Token(role) => format!("Bearer {}", self.token(*role)).parse().ok(),
            _ => None,
        }
    }

    /// A lazy TLS channel to a local port, presenting the certificate of
    /// `credentials` if they are one.
    pub fn channel(&self, port: u16, credentials: &Credentials) -> Channel {
        let mut tls = ClientTlsConfig::new()
            .ca_certificate(Certificate::from_pem(&self.ca_pem))
            .domain_name("127.0.0.1");
        let identity = match credentials {
            Credentials::Service(name) => Some(*name),
            Credentials::Stranger => Some("stranger"),
            Credentials::None | Credentials::Token(_) => None,
        };
        if let Some(name) = identity {
            let read = |file: String| std::fs::read(self.dir.join(file)).expect("credential file");
            tls = tls.identity(Identity::from_pem(
                read(format!("{name}.pem")),
                read(format!("{name}-key.pem")),
            ));
        }
        Endpoint::from_shared(format!("https://127.0.0.1:{port}"))
            .expect("url")
            .tls_config(tls)
            .expect("tls")
            .connect_timeout(Duration::from_secs(3))
            .timeout(CALL_DEADLINE)
            .connect_lazy()
    }
}
