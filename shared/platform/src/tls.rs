//! Mutual TLS between the services, through tonic over rustls.
//!
//! One certificate per service, signed by the suite's own certificate
//! authority: the service presents it to its callers and, as a client
//! certificate, to its peers; a peer knows who is calling from it (its
//! subject's common name is the service's name, see [`service_named_by`]).
//! Client certificates are optional at the handshake so that operators and
//! external systems can call with a bearer token instead; whether a call
//! may go on is decided per RPC by [`crate::access`].

use std::path::Path;
use std::sync::Arc;

use backorder_proto::Peer;
use tonic::transport::{Certificate, ClientTlsConfig, Identity, ServerTlsConfig};

use crate::config::TlsSettings;
use crate::server::BoxError;

/// How this service talks: plaintext (development) or mutual TLS.
#[derive(Clone, Default)]
pub struct Transport {
    material: Option<Arc<Material>>,
}

struct Material {
    identity: Identity,
    ca: Certificate,
}

impl Transport {
    /// Plaintext, every caller trusted.
    pub fn plaintext() -> Self {
        Self::default()
    }

    /// The transport `settings` describe. The three files go together; a
    /// missing or unreadable one is named with the setting that points to
    /// it, and `tls.required` without them refuses to start.
    pub fn from_settings(settings: &TlsSettings) -> Result<Self, BoxError> {
        let files = [
            ("tls.cert_file", &settings.cert_file),
            ("tls.key_file", &settings.key_file),
            ("tls.ca_file", &settings.ca_file),
        ];
        let missing: Vec<&str> = files
            .iter()
            .filter(|(_, file)| file.is_none())
            .map(|(key, _)| *key)
            .collect();
        if missing.len() == files.len() {
            if settings.required {
                return Err("tls.required is set, but tls.cert_file, tls.key_file and \
                     tls.ca_file are not: mount the service's certificate, its key and \
                     the suite's CA, and point these settings at them"
                    .into());
            }
            return Ok(Self::plaintext());
        }
        if !missing.is_empty() {
            return Err(format!(
                "TLS needs its certificate, key and CA together: set {}",
                missing.join(" and ")
            )
            .into());
        }
        let [cert, key, ca] = files.map(|(key, file)| match file {
            Some(path) => read(key, path),
            None => Err(format!("{key} is not set").into()),
        });
        Ok(Self {
            material: Some(Arc::new(Material {
                identity: Identity::from_pem(cert?, key?),
                ca: Certificate::from_pem(ca?),
            })),
        })
    }

    /// Whether calls are encrypted and callers must prove who they are.
    pub fn is_secure(&self) -> bool {
        self.material.is_some()
    }

    /// The server's TLS: this service's certificate, and client
    /// certificates checked against the suite's CA when presented.
    pub fn server_config(&self) -> Option<ServerTlsConfig> {
        self.material.as_ref().map(|m| {
            ServerTlsConfig::new()
                .identity(m.identity.clone())
                .client_ca_root(m.ca.clone())
                .client_auth_optional(true)
        })
    }

    /// A client's TLS for a peer known as `domain` (the name its
    /// certificate must carry): trusts only the suite's CA and presents
    /// this service's certificate.
    pub fn client_config(&self, domain: &str) -> Option<ClientTlsConfig> {
        self.material.as_ref().map(|m| {
            ClientTlsConfig::new()
                .ca_certificate(m.ca.clone())
                .identity(m.identity.clone())
                .domain_name(domain)
        })
    }

    /// `address` in the scheme this transport speaks (`https://` when
    /// secure), so a configured `http://` peer is never called in plaintext.
    pub fn scheme_of(&self, address: &str) -> String {
        match (self.is_secure(), address.strip_prefix("http://")) {
            (true, Some(rest)) => format!("https://{rest}"),
            _ => address.to_owned(),
        }
    }
}

fn read(setting: &str, path: &Path) -> Result<Vec<u8>, BoxError> {
    std::fs::read(path)
        .map_err(|error| format!("cannot read {setting} {}: {error}", path.display()).into())
}

/// The service a client certificate (DER) names by its subject's common
/// name, if it is one of the four. The CA is the suite's own, so a
/// certificate it signed with a service's name is that service.
pub fn service_named_by(certificate: &[u8]) -> Option<Peer> {
    let (_, parsed) = x509_parser::parse_x509_certificate(certificate).ok()?;
    let name = parsed.subject().iter_common_name().next()?.as_str().ok()?;
    name.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn certificate(common_name: &str) -> Vec<u8> {
        let key = rcgen::KeyPair::generate().expect("key");
        let mut params = rcgen::CertificateParams::new(vec!["localhost".into()]).expect("params");
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, common_name);
        params
            .self_signed(&key)
            .expect("certificate")
            .der()
            .to_vec()
    }

    #[test]
    fn a_certificate_names_the_service_in_its_common_name() {
        assert_eq!(service_named_by(&certificate("order")), Some(Peer::Order));
        assert_eq!(service_named_by(&certificate("mallory")), None);
        assert_eq!(service_named_by(b"not a certificate"), None);
    }

    #[test]
    fn no_files_is_plaintext_unless_tls_is_required() {
        let mut settings = TlsSettings::default();
        assert!(
            !Transport::from_settings(&settings)
                .expect("plaintext")
                .is_secure()
        );
        settings.required = true;
        let refused = Transport::from_settings(&settings)
            .err()
            .expect("required without files is refused");
        assert!(refused.to_string().contains("tls.required"), "{refused}");
    }

    #[test]
    fn the_files_go_together_and_a_missing_one_is_named() {
        let settings = TlsSettings {
            cert_file: Some("/nowhere/cert.pem".into()),
            ..TlsSettings::default()
        };
        let refused = Transport::from_settings(&settings)
            .err()
            .expect("a lone certificate is refused");
        assert!(
            refused.to_string().contains("tls.key_file and tls.ca_file"),
            "{refused}"
        );
        let settings = TlsSettings {
            cert_file: Some("/nowhere/cert.pem".into()),
            key_file: Some("/nowhere/key.pem".into()),
            ca_file: Some("/nowhere/ca.pem".into()),
            required: true,
        };
        let refused = Transport::from_settings(&settings)
            .err()
            .expect("unreadable files are refused");
        assert!(
            refused
                .to_string()
                .contains("cannot read tls.cert_file /nowhere/cert.pem"),
            "{refused}"
        );
    }

    #[test]
    fn a_secure_transport_calls_peers_over_https() {
        let plain = Transport::plaintext();
        assert_eq!(plain.scheme_of("http://order:50052"), "http://order:50052");
        let secure = Transport {
            material: Some(Arc::new(Material {
                identity: Identity::from_pem("", ""),
                ca: Certificate::from_pem(""),
            })),
        };
        assert_eq!(
            secure.scheme_of("http://order:50052"),
            "https://order:50052"
        );
        assert_eq!(
            secure.scheme_of("https://order:50052"),
            "https://order:50052"
        );
    }
}
