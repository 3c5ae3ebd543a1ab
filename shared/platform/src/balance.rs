//! Client-side balancing over every address a DNS name resolves to.
//!
//! gRPC keeps one HTTP/2 connection per channel, so a ClusterIP Service pins
//! a caller to one pod. Peers are addressed as `dns:///name:port` of a
//! headless Service instead: each pod's address becomes an endpoint of one
//! balanced channel, re-resolved every few seconds as pods come and go.

use std::collections::HashSet;
use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use tonic::transport::channel::Change;
use tonic::transport::{Channel, ClientTlsConfig};

use crate::retry::ResolvedAddresses;

const RESOLVE_EVERY: Duration = Duration::from_secs(10);

pub(crate) fn dns_balanced_channel(
    target: &str,
    resolved: ResolvedAddresses,
    tls: Option<ClientTlsConfig>,
) -> Channel {
    let target = target.to_owned();
    counted_resolving_channel(
        move || {
            let target = target.clone();
            async move {
                tokio::net::lookup_host(target.as_str())
                    .await
                    .map(|addrs| addrs.collect())
            }
        },
        RESOLVE_EVERY,
        resolved,
        tls,
    )
}

/// A channel balanced over the addresses `resolve` returns, asked again
/// every `every`: new addresses join, vanished ones leave. A failed lookup
/// keeps the last known set.
pub fn resolving_channel<R, F>(resolve: R, every: Duration) -> Channel
where
    R: Fn() -> F + Send + 'static,
    F: Future<Output = std::io::Result<HashSet<SocketAddr>>> + Send,
{
    counted_resolving_channel(resolve, every, ResolvedAddresses::default(), None)
}

/// [`resolving_channel`], keeping `resolved` at the number of addresses.
fn counted_resolving_channel<R, F>(
    resolve: R,
    every: Duration,
    resolved: ResolvedAddresses,
    tls: Option<ClientTlsConfig>,
) -> Channel
where
    R: Fn() -> F + Send + 'static,
    F: Future<Output = std::io::Result<HashSet<SocketAddr>>> + Send,
{
    let (channel, changes) = Channel::balance_channel::<SocketAddr>(64);
    tokio::spawn(async move {
        let mut known: HashSet<SocketAddr> = HashSet::new();
        loop {
            match resolve().await {
                Ok(current) => {
                    for gone in known.difference(&current) {
                        if changes.send(Change::Remove(*gone)).await.is_err() {
                            return;
                        }
                    }
                    for new in current.difference(&known) {
                        let scheme = if tls.is_some() { "https" } else { "http" };
                        match crate::grpc::endpoint(&format!("{scheme}://{new}"), tls.clone()) {
                            Ok(endpoint) => {
                                if changes.send(Change::Insert(*new, endpoint)).await.is_err() {
                                    return;
                                }
                            }
                            Err(error) => tracing::warn!(%error, addr = %new, "bad peer address"),
                        }
                    }
                    known = current;
                    resolved.set(known.len());
                }
                Err(error) => tracing::warn!(%error, "resolving peer failed"),
            }
            tokio::time::sleep(every).await;
        }
    });
    channel
}
