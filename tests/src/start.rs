//! Starting the services of a suite: listeners, processes, settings.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use tonic::transport::{Channel, Endpoint};

use crate::databases::Databases;
use crate::pki::Pki;
use crate::process::{ServiceProcess, Signal};
use crate::{CALL_DEADLINE, SERVICES, START_DEADLINE, Service, SuiteOptions};

pub(crate) fn bind_listeners() -> BTreeMap<&'static str, std::net::TcpListener> {
    SERVICES
        .iter()
        .map(|s| {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a port");
            (*s, listener)
        })
        .collect()
}

pub(crate) fn ports_of(
    listeners: &BTreeMap<&'static str, std::net::TcpListener>,
) -> BTreeMap<&'static str, u16> {
    listeners
        .iter()
        .map(|(s, l)| (*s, l.local_addr().expect("bound address").port()))
        .collect()
}

/// Starts the binaries. A binary binds its port itself, so between the
/// harness releasing a port and the binary binding it another process may
/// take it: then the whole start is tried again on new ports.
pub(crate) async fn start_processes(
    dir: &Path,
    databases: &Databases,
    options: &SuiteOptions,
    pki: Option<&Pki>,
) -> BTreeMap<&'static str, Vec<Service>> {
    const ATTEMPTS: u32 = 3;
    let replicas = options.replicas.max(1);
    let mut attempt = 1;
    loop {
        // Every port at once, so no two replicas get the same one.
        let listeners: Vec<_> = (0..replicas).map(|_| bind_listeners()).collect();
        let ports: Vec<_> = listeners.iter().map(ports_of).collect();
        drop(listeners);
        let mut processes: BTreeMap<&'static str, Vec<ServiceProcess>> = BTreeMap::new();
        for service in SERVICES {
            // Every replica's peers are replica 0 of each service.
            let mut settings = suite_settings(
                service,
                &ports[0],
                databases.url(service),
                dir,
                options,
                pki,
            );
            for (replica, replica_ports) in ports.iter().enumerate() {
                let log = if replica == 0 {
                    dir.join(format!("{service}.log"))
                } else {
                    let port = replica_ports[service].to_string();
                    for (key, value) in &mut settings {
                        if key == "server.port" {
                            value.clone_from(&port);
                        }
                    }
                    dir.join(format!("{service}-{replica}.log"))
                };
                processes
                    .entry(service)
                    .or_default()
                    .push(ServiceProcess::start(
                        service,
                        replica_ports[service],
                        &settings,
                        &options.env,
                        log,
                    ));
            }
        }
        let lost_port = wait_until_listening(&mut processes).await;
        if !lost_port || attempt == ATTEMPTS {
            return processes
                .into_iter()
                .map(|(name, replicas)| {
                    (name, replicas.into_iter().map(Service::Process).collect())
                })
                .collect();
        }
        for process in processes.values_mut().flatten() {
            process.signal(Signal::Kill);
            process.wait_stopped(START_DEADLINE).await;
        }
        attempt += 1;
    }
}

/// Waits until every process accepts connections; true if one exited
/// because its port was taken meanwhile.
pub(crate) async fn wait_until_listening(
    processes: &mut BTreeMap<&'static str, Vec<ServiceProcess>>,
) -> bool {
    let deadline = Instant::now() + START_DEADLINE;
    for process in processes.values_mut().flatten() {
        let address = std::net::SocketAddr::from(([127, 0, 0, 1], process.port));
        while tokio::net::TcpStream::connect(address).await.is_err() {
            if process.exited() {
                return process.log().contains("cannot listen on");
            }
            if Instant::now() > deadline {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    false
}

/// The settings every service of a suite gets, as dotted keys.
pub(crate) fn suite_settings(
    service: &str,
    ports: &BTreeMap<&'static str, u16>,
    database_url: &str,
    dir: &Path,
    options: &SuiteOptions,
    pki: Option<&Pki>,
) -> Vec<(String, String)> {
    let mut settings: Vec<(String, String)> = vec![
        ("server.host".into(), "127.0.0.1".into()),
        ("server.port".into(), ports[service].to_string()),
        ("database.url".into(), database_url.to_owned()),
        // Small pools: parallel suites share one PostgreSQL (max_connections 100).
        ("database.max_connections".into(), "4".into()),
        ("outbox.poll_interval_ms".into(), "200".into()),
        ("outbox.initial_backoff_ms".into(), "50".into()),
        ("outbox.max_backoff_ms".into(), "400".into()),
        (
            "channels.dir".into(),
            dir.join("notifications").display().to_string(),
        ),
    ];
    for (peer, port) in ports {
        settings.push((format!("peers.{peer}"), format!("http://127.0.0.1:{port}")));
    }
    if let Some(pki) = pki {
        settings.extend(pki.settings(service));
    }
    settings.extend(options.settings.iter().cloned());
    settings
}

/// A lazy channel to a local port whose every call has [`CALL_DEADLINE`].
pub(crate) fn client_channel(port: u16) -> Channel {
    Endpoint::from_shared(format!("http://127.0.0.1:{port}"))
        .expect("url")
        .connect_timeout(Duration::from_secs(3))
        .timeout(CALL_DEADLINE)
        .connect_lazy()
}
