//! Who may call what. Every RPC names its callers ([`Callers`], declared
//! beside the RPC in each service's `grpc_service!` table); a call is
//! authenticated and checked against that list by [`AccessLayer`] before its
//! message is even read, so a refused call cannot write anything.
//!
//! Callers prove who they are in one of two ways:
//! - a service, by the client certificate of its mutual-TLS connection
//!   (see [`crate::tls`]);
//! - an operator or an external system (storefront, warehouse, supplier),
//!   by a bearer token (`authorization: Bearer <token>`). Tokens are random
//!   secrets; the server keeps only their SHA-256, with a name and a role,
//!   in a mounted file ([`Tokens`]) that it reads again when it changes.
//!
//! Health and reflection stay open to anyone. In plaintext (development)
//! every caller is trusted and the service says so when it starts.

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::{Arc, RwLock};
use std::task::{Context as TaskContext, Poll};
use std::time::Duration;

use backorder_proto::Peer;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use tonic::body::Body;
use tonic::transport::server::{TcpConnectInfo, TlsConnectInfo};
use tonic::{Code, Status};
use tonic_types::{ErrorDetails, StatusExt};
use tower::{Layer, Service};

use crate::overload::is_exempt;
use crate::server::{BoxError, Shutdown};
use crate::tls::service_named_by;

/// The role a bearer token carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// People running the suite: stock, suppliers, purchase orders,
    /// customers' contact details, parked messages.
    Operator,
    /// The merchant's shop: places, changes and cancels orders for its
    /// customers, and keeps their contact details.
    Storefront,
    /// The warehouse's systems: ship parcels, receive purchase orders.
    Warehouse,
    /// Supplier systems: acknowledge purchase orders, confirm drop shipments.
    Supplier,
}

impl Role {
    fn name(self) -> &'static str {
        match self {
            Role::Operator => "operator",
            Role::Storefront => "storefront",
            Role::Warehouse => "warehouse",
            Role::Supplier => "supplier",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Who is calling, once authenticated; put in the request's extensions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Caller {
    /// One of the four services, by its client certificate.
    Service(Peer),
    /// The holder of a bearer token.
    Holder {
        /// The token's name (a person or a system, never a customer).
        name: Arc<str>,
        /// What it may do.
        role: Role,
    },
    /// Anyone: the server runs in plaintext and trusts every caller.
    Trusted,
}

impl fmt::Display for Caller {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Caller::Service(peer) => write!(f, "the {peer} service"),
            Caller::Holder { name, role } => write!(f, "{name} ({role})"),
            Caller::Trusted => f.write_str("a trusted caller"),
        }
    }
}

/// The callers an RPC admits: a set of services and token roles.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Callers(u16);

impl Callers {
    /// The inventory service.
    pub const INVENTORY: Self = Self(1);
    /// The order service.
    pub const ORDER: Self = Self(1 << 1);
    /// The procurement service.
    pub const PROCUREMENT: Self = Self(1 << 2);
    /// The notification service.
    pub const NOTIFICATION: Self = Self(1 << 3);
    /// Operators' tokens.
    pub const OPERATOR: Self = Self(1 << 4);
    /// The storefront's tokens.
    pub const STOREFRONT: Self = Self(1 << 5);
    /// The warehouse's tokens.
    pub const WAREHOUSE: Self = Self(1 << 6);
    /// Suppliers' tokens.
    pub const SUPPLIER: Self = Self(1 << 7);

    const NAMED: [(Self, &'static str); 8] = [
        (Self::INVENTORY, "the inventory service"),
        (Self::ORDER, "the order service"),
        (Self::PROCUREMENT, "the procurement service"),
        (Self::NOTIFICATION, "the notification service"),
        (Self::OPERATOR, "operators"),
        (Self::STOREFRONT, "the storefront"),
        (Self::WAREHOUSE, "the warehouse"),
        (Self::SUPPLIER, "suppliers"),
    ];

    /// Both sets (`const`, for the services' tables).
    pub const fn or(self, other: Self) -> Self {
        Self(self.0 | other.0)
    }

    fn of(caller: &Caller) -> Self {
        match caller {
            Caller::Service(Peer::Inventory) => Self::INVENTORY,
            Caller::Service(Peer::Order) => Self::ORDER,
            Caller::Service(Peer::Procurement) => Self::PROCUREMENT,
            Caller::Service(Peer::Notification) => Self::NOTIFICATION,
            Caller::Holder { role, .. } => match role {
                Role::Operator => Self::OPERATOR,
                Role::Storefront => Self::STOREFRONT,
                Role::Warehouse => Self::WAREHOUSE,
                Role::Supplier => Self::SUPPLIER,
            },
            Caller::Trusted => Self(u16::MAX),
        }
    }

    /// Whether `caller` is one of these.
    pub fn admits(self, caller: &Caller) -> bool {
        self.0 & Self::of(caller).0 != 0
    }

    /// "operators or the storefront".
    pub fn describe(self) -> String {
        let names: Vec<&str> = Self::NAMED
            .iter()
            .filter(|(callers, _)| self.0 & callers.0 != 0)
            .map(|(_, name)| *name)
            .collect();
        match names.split_last() {
            None => "no one".to_owned(),
            Some((last, [])) => (*last).to_owned(),
            Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
        }
    }
}

/// One RPC's callers.
#[derive(Debug, Clone, Copy)]
pub struct AccessRule {
    /// The RPC's full path (`/backorder.order.v1.OrderService/PlaceOrder`).
    pub path: &'static str,
    /// Who may call it.
    pub callers: Callers,
}

/// The tokens file: `[[token]]` entries with `name`, `role` and `sha256`
/// (hex) of the token.
#[derive(Debug, Deserialize)]
struct TokensFile {
    #[serde(default)]
    token: Vec<TokenEntry>,
}

#[derive(Debug, Deserialize)]
struct TokenEntry {
    name: String,
    role: Role,
    sha256: String,
}

/// Known bearer tokens, by the SHA-256 of the token.
#[derive(Debug, Default)]
pub struct Tokens {
    by_hash: HashMap<[u8; 32], (Arc<str>, Role)>,
}

impl Tokens {
    /// Parses a tokens file's text; an entry whose hash is not 64 hex
    /// digits is refused with its name.
    pub fn parse(text: &str) -> Result<Self, String> {
        let file: TokensFile = config::Config::builder()
            .add_source(config::File::from_str(text, config::FileFormat::Toml))
            .build()
            .and_then(config::Config::try_deserialize)
            .map_err(|error| format!("tokens file: {error}"))?;
        let mut by_hash = HashMap::new();
        for entry in file.token {
            let hash = parse_hash(&entry.sha256).ok_or_else(|| {
                format!(
                    "token {:?}: sha256 must be 64 hex digits (the SHA-256 of the token)",
                    entry.name
                )
            })?;
            by_hash.insert(hash, (Arc::from(entry.name), entry.role));
        }
        Ok(Self { by_hash })
    }

    /// The holder of `token`, if known.
    pub fn holder(&self, token: &str) -> Option<Caller> {
        let hash: [u8; 32] = Sha256::digest(token.as_bytes()).into();
        self.by_hash.get(&hash).map(|(name, role)| Caller::Holder {
            name: name.clone(),
            role: *role,
        })
    }

    /// How many tokens are known.
    pub fn len(&self) -> usize {
        self.by_hash.len()
    }

    /// Whether no token is known.
    pub fn is_empty(&self) -> bool {
        self.by_hash.is_empty()
    }
}

fn parse_hash(hex: &str) -> Option<[u8; 32]> {
    let hex = hex.trim();
    if hex.len() != 64 || !hex.is_ascii() {
        return None;
    }
    let mut hash = [0u8; 32];
    for (i, byte) in hash.iter_mut().enumerate() {
        *byte = u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(hash)
}

/// The tokens file as last read, read again as it changes (a rotated
/// Kubernetes secret replaces the mounted file).
pub struct TokenStore {
    path: Option<PathBuf>,
    current: RwLock<(Vec<u8>, Arc<Tokens>)>,
}

impl TokenStore {
    /// Reads `path` (none: no tokens). A file that cannot be read or
    /// parsed at start stops the service.
    pub fn open(path: Option<&Path>) -> Result<Self, BoxError> {
        let store = Self {
            path: path.map(Path::to_path_buf),
            current: RwLock::new((Vec::new(), Arc::new(Tokens::default()))),
        };
        store.reload()?;
        Ok(store)
    }

    /// The tokens now in force.
    pub fn tokens(&self) -> Arc<Tokens> {
        self.current
            .read()
            .map(|current| current.1.clone())
            .unwrap_or_default()
    }

    /// Reads the file again; returns whether the tokens changed.
    pub fn reload(&self) -> Result<bool, BoxError> {
        let Some(path) = &self.path else {
            return Ok(false);
        };
        let bytes = std::fs::read(path).map_err(|error| {
            format!("cannot read access.tokens_file {}: {error}", path.display())
        })?;
        if self.current.read().is_ok_and(|current| current.0 == bytes) {
            return Ok(false);
        }
        let text = String::from_utf8_lossy(&bytes);
        let tokens =
            Tokens::parse(&text).map_err(|error| format!("{}: {error}", path.display()))?;
        tracing::info!(tokens = tokens.len(), "bearer tokens loaded");
        if let Ok(mut current) = self.current.write() {
            *current = (bytes, Arc::new(tokens));
        }
        Ok(true)
    }

    /// Reads the file again every `every` until `shutdown`; a file that
    /// became unreadable or invalid keeps the tokens last read, and says so.
    pub async fn watch(self: Arc<Self>, every: Duration, mut shutdown: Shutdown) {
        if self.path.is_none() {
            return;
        }
        let mut ticks = tokio::time::interval(every.max(Duration::from_secs(1)));
        ticks.tick().await;
        loop {
            tokio::select! {
                _ = shutdown.wait() => return,
                _ = ticks.tick() => {
                    if let Err(error) = self.reload() {
                        tracing::error!(%error, "bearer tokens not reloaded; the last ones read stay in force");
                    }
                }
            }
        }
    }
}

/// How a server decides who may call.
enum Mode {
    /// Plaintext: everyone is trusted.
    Open,
    /// Mutual TLS: certificates and tokens, checked per RPC.
    Enforced(Arc<TokenStore>),
}

struct Policy {
    mode: Mode,
    rules: HashMap<&'static str, Callers>,
    domain: String,
}

/// Authenticates each call and refuses it, before it is read, unless its
/// RPC admits the caller; puts the [`Caller`] in the request's extensions.
#[derive(Clone)]
pub struct AccessLayer {
    policy: Arc<Policy>,
}

impl AccessLayer {
    /// Trusts everyone (plaintext).
    pub fn open() -> Self {
        Self::new(Mode::Open, &[], "")
    }

    /// Enforces `rules` for the service `service` (its error domain) with
    /// the tokens of `tokens`.
    pub fn enforced(rules: &[AccessRule], tokens: Arc<TokenStore>, service: &str) -> Self {
        Self::new(Mode::Enforced(tokens), rules, service)
    }

    fn new(mode: Mode, rules: &[AccessRule], service: &str) -> Self {
        Self {
            policy: Arc::new(Policy {
                mode,
                rules: rules.iter().map(|r| (r.path, r.callers)).collect(),
                domain: format!("{service}.backorder"),
            }),
        }
    }
}

impl<S> Layer<S> for AccessLayer {
    type Service = Access<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Access {
            inner,
            policy: self.policy.clone(),
        }
    }
}

/// The service made by [`AccessLayer`].
#[derive(Clone)]
pub struct Access<S> {
    inner: S,
    policy: Arc<Policy>,
}

type BoxFuture<T, E> = Pin<Box<dyn Future<Output = Result<T, E>> + Send>>;

impl<S, ReqBody, ResBody> Service<http::Request<ReqBody>> for Access<S>
where
    S: Service<http::Request<ReqBody>, Response = http::Response<ResBody>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Into<BoxError> + Send + 'static,
    ReqBody: Send + 'static,
    ResBody: http_body::Body<Data = bytes::Bytes> + Send + 'static,
    ResBody::Error: Into<BoxError>,
{
    type Response = http::Response<Body>;
    type Error = BoxError;
    type Future = BoxFuture<Self::Response, Self::Error>;

    fn poll_ready(&mut self, cx: &mut TaskContext<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, mut request: http::Request<ReqBody>) -> Self::Future {
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        if !is_exempt(request.uri().path()) {
            match self.policy.admit(&request) {
                Ok(caller) => {
                    request.extensions_mut().insert(caller);
                }
                Err(status) => return Box::pin(std::future::ready(Ok(status.into_http()))),
            }
        }
        Box::pin(async move {
            inner
                .call(request)
                .await
                .map(|response| response.map(Body::new))
                .map_err(Into::into)
        })
    }
}

impl Policy {
    fn admit<B>(&self, request: &http::Request<B>) -> Result<Caller, Status> {
        let Mode::Enforced(tokens) = &self.mode else {
            return Ok(Caller::Trusted);
        };
        let path = request.uri().path();
        let rpc = path.rsplit('/').next().unwrap_or(path);
        let caller = self.authenticate(request, tokens)?;
        let callers = self.rules.get(path).copied().unwrap_or(Callers(0));
        if callers.admits(&caller) {
            return Ok(caller);
        }
        Err(self.refusal(
            Code::PermissionDenied,
            "CALLER_NOT_ALLOWED",
            format!(
                "{caller} may not call {rpc}: it is for {}",
                callers.describe()
            ),
            rpc,
        ))
    }

    fn authenticate<B>(
        &self,
        request: &http::Request<B>,
        tokens: &TokenStore,
    ) -> Result<Caller, Status> {
        let path = request.uri().path();
        let rpc = path.rsplit('/').next().unwrap_or(path);
        if let Some(value) = request.headers().get(http::header::AUTHORIZATION) {
            let token = value
                .to_str()
                .ok()
                .and_then(|v| v.strip_prefix("Bearer "))
                .map(str::trim)
                .filter(|t| !t.is_empty());
            let Some(token) = token else {
                return Err(self.refusal(
                    Code::Unauthenticated,
                    "MALFORMED_CREDENTIALS",
                    "the authorization header must be `Bearer <token>`".to_owned(),
                    rpc,
                ));
            };
            return tokens.tokens().holder(token).ok_or_else(|| {
                self.refusal(
                    Code::Unauthenticated,
                    "UNKNOWN_TOKEN",
                    "the bearer token is not known (revoked, or never issued): \
                     ask for a new one (README, Security)"
                        .to_owned(),
                    rpc,
                )
            });
        }
        let certificate = request
            .extensions()
            .get::<TlsConnectInfo<TcpConnectInfo>>()
            .and_then(TlsConnectInfo::peer_certs);
        match certificate.as_deref().and_then(|certs| certs.first()) {
            Some(leaf) => service_named_by(leaf).map(Caller::Service).ok_or_else(|| {
                self.refusal(
                    Code::Unauthenticated,
                    "UNKNOWN_SERVICE_CERTIFICATE",
                    "the client certificate names no service of the suite \
                     (its common name must be inventory, order, procurement or notification)"
                        .to_owned(),
                    rpc,
                )
            }),
            None => Err(self.refusal(
                Code::Unauthenticated,
                "NO_CREDENTIALS",
                format!(
                    "{rpc} needs credentials: a service's client certificate, or \
                     `authorization: Bearer <token>`"
                ),
                rpc,
            )),
        }
    }

    fn refusal(&self, code: Code, reason: &str, message: String, rpc: &str) -> Status {
        let details = ErrorDetails::with_error_info(
            reason,
            self.domain.clone(),
            [("rpc".to_owned(), rpc.to_owned())],
        );
        Status::with_error_details(code, message, details)
    }
}

/// Logs one audit line for a mutating call by a token holder: who, which
/// RPC, its request id and how it ended. Ids only: never a message's body.
pub fn audit(caller: Option<&Caller>, rpc: &str, request_id: Option<&str>, outcome: Code) {
    if let (Some(Caller::Holder { name, role }), Some(request_id)) = (caller, request_id) {
        tracing::info!(
            target: "audit",
            who = %name,
            %role,
            rpc,
            request_id,
            outcome = ?outcome,
            "mutating call"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hash(token: &str) -> String {
        Sha256::digest(token.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    #[test]
    fn a_token_is_known_by_its_hash_only() {
        let text = format!(
            "[[token]]\nname = \"ana\"\nrole = \"operator\"\nsha256 = \"{}\"\n\
             [[token]]\nname = \"shop\"\nrole = \"storefront\"\nsha256 = \"{}\"\n",
            hash("s3cret"),
            hash("sh0p")
        );
        let tokens = Tokens::parse(&text).expect("tokens");
        assert_eq!(
            tokens.holder("s3cret"),
            Some(Caller::Holder {
                name: "ana".into(),
                role: Role::Operator
            })
        );
        assert_eq!(
            tokens.holder("sh0p").map(|c| Callers::of(&c)),
            Some(Callers::STOREFRONT)
        );
        assert_eq!(tokens.holder(&hash("s3cret")), None);
        assert_eq!(tokens.holder("guess"), None);
    }

    #[test]
    fn a_bad_entry_is_refused_with_its_name() {
        let refused =
            Tokens::parse("[[token]]\nname = \"ana\"\nrole = \"operator\"\nsha256 = \"abc\"\n")
                .expect_err("short hash");
        assert!(refused.contains("\"ana\""), "{refused}");
        let refused = Tokens::parse("[[token]]\nname = \"ana\"\nrole = \"root\"\nsha256 = \"\"\n")
            .expect_err("unknown role");
        assert!(refused.contains("root"), "{refused}");
    }

    #[test]
    fn callers_admit_their_members_and_say_who_they_are() {
        let callers = Callers::ORDER.or(Callers::OPERATOR);
        assert!(callers.admits(&Caller::Service(Peer::Order)));
        assert!(!callers.admits(&Caller::Service(Peer::Procurement)));
        assert!(callers.admits(&Caller::Holder {
            name: "ana".into(),
            role: Role::Operator
        }));
        assert!(!callers.admits(&Caller::Holder {
            name: "shop".into(),
            role: Role::Storefront
        }));
        assert!(!Callers(0).admits(&Caller::Trusted));
        assert!(Callers::OPERATOR.admits(&Caller::Trusted));
        assert_eq!(callers.describe(), "the order service or operators");
        assert_eq!(
            Callers::STOREFRONT
                .or(Callers::WAREHOUSE)
                .or(Callers::OPERATOR)
                .describe(),
            "operators, the storefront or the warehouse"
        );
    }

    #[test]
    fn the_store_reads_the_file_again_when_it_changes() {
        let dir = std::env::temp_dir().join(format!("tokens-{}", uuid::Uuid::now_v7()));
        std::fs::create_dir_all(&dir).expect("dir");
        let path = dir.join("tokens.toml");
        let entry = |name: &str, token: &str| {
            format!(
                "[[token]]\nname = \"{name}\"\nrole = \"operator\"\nsha256 = \"{}\"\n",
                hash(token)
            )
        };
        std::fs::write(&path, entry("ana", "old")).expect("write");
        let store = TokenStore::open(Some(&path)).expect("store");
        assert!(store.tokens().holder("old").is_some());
        assert!(!store.reload().expect("unchanged"));
        std::fs::write(&path, entry("ana", "new")).expect("rotate");
        assert!(store.reload().expect("changed"));
        assert!(store.tokens().holder("old").is_none());
        assert!(store.tokens().holder("new").is_some());
        std::fs::write(&path, "not toml [[").expect("break");
        assert!(store.reload().is_err());
        assert!(
            store.tokens().holder("new").is_some(),
            "a broken file keeps the tokens last read"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
