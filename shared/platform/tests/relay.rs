//! Two outbox relays sharing one database deliver every message exactly
//! once: a claimed message is never sent by the other replica.

#![allow(clippy::unwrap_used)]

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use backorder_platform::config::OutboxSettings;
use backorder_platform::grpc::peer_channel;
use backorder_platform::outbox::{Envelope, OutboxSignal, Relay, enqueue};
use backorder_platform::store::{m20261122_000001_create_platform_tables, outbox_message};
use backorder_proto::notification::v1 as pb;
use backorder_proto::notification::v1::notification_service_server::{
    NotificationService, NotificationServiceServer,
};
use sea_orm::{
    ColumnTrait, ConnectionTrait, Database, DatabaseConnection, EntityTrait, PaginatorTrait,
    QueryFilter, TransactionTrait,
};
use sea_orm_migration::{MigrationTrait, MigratorTrait};
use tonic::{Request, Response, Status};

struct PlatformOnly;

impl MigratorTrait for PlatformOnly {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![Box::new(m20261122_000001_create_platform_tables::Migration)]
    }
}

#[derive(Clone, Default)]
struct CountingReceiver {
    seen: Arc<Mutex<HashMap<String, u32>>>,
    arrivals: Arc<Mutex<Vec<String>>>,
}

#[tonic::async_trait]
impl NotificationService for CountingReceiver {
    async fn upsert_customer(
        &self,
        _: Request<pb::UpsertCustomerRequest>,
    ) -> Result<Response<pb::UpsertCustomerResponse>, Status> {
        Err(Status::unimplemented("not used"))
    }

    async fn get_customer(
        &self,
        _: Request<pb::GetCustomerRequest>,
    ) -> Result<Response<pb::GetCustomerResponse>, Status> {
        Err(Status::unimplemented("not used"))
    }

    async fn notify(
        &self,
        request: Request<pb::NotifyRequest>,
    ) -> Result<Response<pb::NotifyResponse>, Status> {
        let request = request.into_inner();
        let attempt = {
            let mut seen = self.seen.lock().unwrap();
            let count = seen.entry(request.request_id.clone()).or_default();
            *count += 1;
            *count
        };
        self.arrivals
            .lock()
            .unwrap()
            .push(request.request_id.clone());
        if request.detail == "flaky" && attempt == 1 {
            return Err(Status::unavailable("down for a moment"));
        }
        if request.detail == "slow" {
            tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        }
        if request.detail == "poison" {
            return Err(Status::invalid_argument("this message can never succeed"));
        }
        Ok(Response::new(pb::NotifyResponse::default()))
    }

    async fn list_notifications(
        &self,
        _: Request<pb::ListNotificationsRequest>,
    ) -> Result<Response<pb::ListNotificationsResponse>, Status> {
        Err(Status::unimplemented("not used"))
    }
}

/// A receiver on a free loopback port.
async fn start_receiver() -> (CountingReceiver, std::net::SocketAddr) {
    let receiver = CountingReceiver::default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(
        tonic::transport::Server::builder()
            .add_service(NotificationServiceServer::new(receiver.clone()))
            .serve_with_incoming(tokio_stream::wrappers::TcpListenerStream::new(listener)),
    );
    (receiver, addr)
}

/// Writes one Notify message for the receiver; `detail` steers its answer.
async fn enqueue_notify<C: ConnectionTrait>(db: &C, detail: &str) -> String {
    let id = uuid::Uuid::now_v7().to_string();
    let message = pb::NotifyRequest {
        request_id: id.clone(),
        detail: detail.into(),
        ..Default::default()
    };
    enqueue(
        db,
        Envelope::new(
            id.clone(),
            "notification",
            "/backorder.notification.v1.NotificationService/Notify",
            &message,
        ),
    )
    .await
    .unwrap();
    id
}

/// Relay settings for a test: fast retries, the given poll and claim.
fn relay_settings(poll_interval_ms: u64, lease_ms: i64, call_timeout_ms: u64) -> OutboxSettings {
    OutboxSettings {
        poll_interval_ms,
        batch_size: 10,
        initial_backoff_ms: 20,
        max_backoff_ms: 200,
        lease_ms,
        call_timeout_ms,
    }
}

/// The receiver as the relay's only peer.
fn peers_at(
    addr: std::net::SocketAddr,
) -> BTreeMap<&'static str, backorder_platform::grpc::PeerChannel> {
    BTreeMap::from([(
        "notification",
        peer_channel(&format!("http://{addr}")).unwrap(),
    )])
}

/// Messages not yet acknowledged.
async fn undelivered(db: &DatabaseConnection) -> u64 {
    outbox_message::Entity::find()
        .filter(outbox_message::Column::DeliveredAt.is_null())
        .count(db)
        .await
        .unwrap()
}

/// A fresh database; the PostgreSQL one is dropped by [`drop_database`].
async fn database() -> (DatabaseConnection, Option<(String, String)>) {
    let name = format!("relay_{}", uuid::Uuid::now_v7().simple());
    let (url, created) = match std::env::var("BACKORDER_TEST_DATABASE_URL") {
        Ok(server) if server.starts_with("postgres") => {
            let server = server.trim_end_matches('/').to_owned();
            let admin = Database::connect(format!("{server}/postgres"))
                .await
                .unwrap();
            admin
                .execute_unprepared(&format!("CREATE DATABASE {name}"))
                .await
                .unwrap();
            (format!("{server}/{name}"), Some((server, name)))
        }
        _ => {
            let dir = std::env::temp_dir().join(&name);
            std::fs::create_dir_all(&dir).unwrap();
            (
                format!("sqlite://{}/outbox.db?mode=rwc", dir.display()),
                None,
            )
        }
    };
    let settings = backorder_platform::config::DatabaseSettings {
        url,
        password_file: None,
        max_connections: 8,
    };
    let db = backorder_platform::db::connect(&settings).await.unwrap();
    backorder_platform::db::migrate::<PlatformOnly>(&db)
        .await
        .unwrap();
    (db, created)
}

async fn drop_database(db: DatabaseConnection, created: Option<(String, String)>) {
    drop(db);
    if let Some((server, name)) = created {
        let admin = Database::connect(format!("{server}/postgres"))
            .await
            .unwrap();
        admin
            .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .await
            .unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_relays_on_one_database_deliver_each_message_once() {
    let (receiver, addr) = start_receiver().await;
    let (db, created) = database().await;
    let txn = db.begin().await.unwrap();
    let mut ids = Vec::new();
    for _ in 0..300 {
        ids.push(enqueue_notify(&txn, "").await);
    }
    txn.commit().await.unwrap();

    let settings = OutboxSettings {
        poll_interval_ms: 50,
        batch_size: 25,
        initial_backoff_ms: 20,
        max_backoff_ms: 200,
        lease_ms: 30_000,
        call_timeout_ms: 5_000,
    };
    let mut replicas = Vec::new();
    for _ in 0..2 {
        let peers = peers_at(addr);
        let relay = Relay::new(db.clone(), peers, settings.clone(), OutboxSignal::new());
        replicas.push(tokio::spawn(async move {
            let mut claimed = 0;
            loop {
                let n = relay.run_once().await.unwrap();
                if n == 0 {
                    return claimed;
                }
                claimed += n;
            }
        }));
    }
    let mut per_replica = Vec::new();
    for replica in replicas {
        per_replica.push(replica.await.unwrap());
    }

    let seen = receiver.seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 300, "every message arrived");
    assert!(seen.values().all(|count| *count == 1), "none arrived twice");
    assert_eq!(
        per_replica.iter().sum::<usize>(),
        300,
        "each message claimed once: {per_replica:?}"
    );
    assert_eq!(undelivered(&db).await, 0);
    drop_database(db, created).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_message_refused_for_good_is_parked_and_does_not_hold_back_the_rest() {
    let (receiver, addr) = start_receiver().await;
    let (db, created) = database().await;
    let mut ids = Vec::new();
    for detail in ["poison", "fine", "fine", "fine"] {
        ids.push(enqueue_notify(&db, detail).await);
    }
    let settings = OutboxSettings {
        poll_interval_ms: 50,
        batch_size: 10,
        initial_backoff_ms: 20,
        max_backoff_ms: 200,
        lease_ms: 30_000,
        call_timeout_ms: 5_000,
    };
    let peers = peers_at(addr);
    let relay = Relay::new(db.clone(), peers, settings, OutboxSignal::new());

    relay.run_once().await.unwrap();

    let seen = receiver.seen.lock().unwrap().clone();
    assert!(
        ids.iter().all(|id| seen.get(id) == Some(&1)),
        "each tried once: {seen:?}"
    );
    let parked = outbox_message::Entity::find_by_id(ids[0].clone())
        .one(&db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(parked.next_attempt_at, backorder_platform::outbox::PARKED);
    assert!(parked.delivered_at.is_none());
    assert!(
        parked
            .last_error
            .unwrap_or_default()
            .starts_with("parked: InvalidArgument")
    );
    let delivered = outbox_message::Entity::find()
        .filter(outbox_message::Column::DeliveredAt.is_not_null())
        .count(&db)
        .await
        .unwrap();
    assert_eq!(delivered, 3, "the rest went through");
    assert_eq!(
        relay.run_once().await.unwrap(),
        0,
        "a parked message is not claimed again"
    );
    drop_database(db, created).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_later_message_never_overtakes_one_waiting_for_its_retry() {
    let (receiver, addr) = start_receiver().await;
    let (db, created) = database().await;
    let settings = OutboxSettings {
        poll_interval_ms: 50,
        batch_size: 10,
        initial_backoff_ms: 300,
        max_backoff_ms: 300,
        lease_ms: 30_000,
        call_timeout_ms: 5_000,
    };
    let peers = peers_at(addr);
    let relay = Relay::new(db.clone(), peers, settings, OutboxSignal::new());
    let first = enqueue_notify(&db, "flaky").await;
    let second = enqueue_notify(&db, "fine").await;

    relay.run_once().await.unwrap(); // the first fails; the second waits behind it
    let third = enqueue_notify(&db, "fine").await; // due at once, but must not overtake
    assert_eq!(
        relay.run_once().await.unwrap(),
        0,
        "nothing may go while the first waits"
    );
    tokio::time::sleep(std::time::Duration::from_millis(450)).await;
    while relay.run_once().await.unwrap() > 0 {}

    let arrivals = receiver.arrivals.lock().unwrap().clone();
    assert_eq!(
        arrivals,
        vec![first.clone(), first, second, third],
        "per-destination order kept"
    );
    drop_database(db, created).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_relay_whose_claim_runs_out_hands_messages_back_instead_of_racing_a_replica() {
    let (receiver, addr) = start_receiver().await;
    let (db, created) = database().await;
    let mut ids = Vec::new();
    for _ in 0..6 {
        ids.push(enqueue_notify(&db, "slow").await);
    }
    // Six 300 ms deliveries take longer than one 1 s claim: the claim lapses
    // while its holder is still working through the batch.
    let settings = relay_settings(50, 1_000, 500);
    let mut replicas = Vec::new();
    for _ in 0..2 {
        let relay = Relay::new(
            db.clone(),
            peers_at(addr),
            settings.clone(),
            OutboxSignal::new(),
        );
        let db = db.clone();
        replicas.push(tokio::spawn(async move {
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
            while std::time::Instant::now() < deadline {
                if relay.run_once().await.unwrap() == 0 {
                    if undelivered(&db).await == 0 {
                        return;
                    }
                    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                }
            }
        }));
    }
    for replica in replicas {
        replica.await.unwrap();
    }

    let arrivals = receiver.arrivals.lock().unwrap().clone();
    assert_eq!(arrivals, ids, "each once, in order, across both replicas");
    drop_database(db, created).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn messages_handed_back_go_out_at_once_not_at_the_next_poll() {
    let (receiver, addr) = start_receiver().await;
    let (db, created) = database().await;
    let mut ids = Vec::new();
    for _ in 0..6 {
        ids.push(enqueue_notify(&db, "slow").await);
    }
    // The claim covers about two deliveries; the poll would come only after
    // the test's deadline, so only an immediate re-claim can finish in time.
    let settings = relay_settings(60_000, 1_000, 500);
    let signal = OutboxSignal::new();
    let relay = Relay::new(db.clone(), peers_at(addr), settings, signal.clone());
    let (stop, shutdown) = backorder_platform::server::shutdown_on_signals();
    let running = relay.spawn(shutdown);
    signal.wake();

    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    loop {
        let pending = undelivered(&db).await;
        if pending == 0 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{pending} messages still waiting"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    stop.send(true).unwrap();
    running.await.unwrap();
    let arrivals = receiver.arrivals.lock().unwrap().clone();
    assert_eq!(arrivals, ids, "each once, in order");
    drop_database(db, created).await;
}
