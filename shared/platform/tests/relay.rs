//! The outbox relay against real gRPC receivers on loopback and a real
//! database (PostgreSQL when BACKORDER_TEST_DATABASE_URL is set): exactly
//! once per replica set, in order per destination, destinations independent
//! of each other, parked messages listed, retried and dropped by operators.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use backorder_platform::Peer;
use backorder_platform::config::OutboxSettings;
use backorder_platform::grpc::{PeerChannel, peer_channel};
use backorder_platform::outbox::{Envelope, OutboxAdmin, OutboxSignal, Relay, enqueue};
use backorder_platform::server::Shutdown;
use backorder_platform::store::outbox_message;
use backorder_platform::testing::TestDatabase;
use backorder_platform::unit_of_work::UnitOfWork;
use backorder_proto::Rpc;
use backorder_proto::notification::v1 as pb;
use backorder_proto::notification::v1::notification_service_server::{
    NotificationService, NotificationServiceServer,
};
use backorder_proto::outbox::v1 as admin_pb;
use backorder_proto::outbox::v1::outbox_admin_service_client::OutboxAdminServiceClient;
use backorder_proto::outbox::v1::outbox_admin_service_server::OutboxAdminServiceServer;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter};
use sea_orm_migration::{MigrationTrait, MigratorTrait};
use tonic::{Code, Request, Response, Status};

struct PlatformOnly;

impl MigratorTrait for PlatformOnly {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        backorder_platform::store::migrations()
    }
}

/// Counts arrivals per message id; `detail` steers the answer.
#[derive(Clone, Default)]
struct Receiver {
    seen: Arc<Mutex<HashMap<String, u32>>>,
    arrivals: Arc<Mutex<Vec<String>>>,
}

impl Receiver {
    fn arrivals(&self) -> Vec<String> {
        self.arrivals.lock().expect("arrivals").clone()
    }

    fn count(&self, id: &str) -> u32 {
        self.seen
            .lock()
            .expect("seen")
            .get(id)
            .copied()
            .unwrap_or(0)
    }
}

#[tonic::async_trait]
impl NotificationService for Receiver {
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
            let mut seen = self.seen.lock().expect("seen");
            let count = seen.entry(request.request_id.clone()).or_default();
            *count += 1;
            *count
        };
        self.arrivals
            .lock()
            .expect("arrivals")
            .push(request.request_id.clone());
        match request.detail.as_str() {
            "flaky" if attempt == 1 => Err(Status::unavailable("down for a moment")),
            "poison" => Err(Status::invalid_argument("this message can never succeed")),
            "unknown" => Err(Status::not_found("no such order")),
            "stuck" => {
                // Far longer than the relay's call timeout.
                tokio::time::sleep(Duration::from_secs(30)).await;
                Ok(Response::new(pb::NotifyResponse::default()))
            }
            _ => Ok(Response::new(pb::NotifyResponse::default())),
        }
    }

    async fn list_notifications(
        &self,
        _: Request<pb::ListNotificationsRequest>,
    ) -> Result<Response<pb::ListNotificationsResponse>, Status> {
        Err(Status::unimplemented("not used"))
    }
}

async fn start_receiver() -> (Receiver, PeerChannel) {
    let receiver = Receiver::default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("address");
    tokio::spawn(
        tonic::transport::Server::builder()
            .add_service(NotificationServiceServer::new(receiver.clone()))
            .serve_with_incoming(tokio_stream::wrappers::TcpListenerStream::new(listener)),
    );
    let channel = peer_channel(&format!("http://{addr}")).expect("channel");
    (receiver, channel)
}

fn settings(batch_size: u64) -> OutboxSettings {
    OutboxSettings {
        poll_interval_ms: 5_000,
        batch_size,
        initial_backoff_ms: 20,
        max_backoff_ms: 200,
        lease_ms: 4_000,
        call_timeout_ms: 1_000,
        max_attempts: 1_000,
    }
}

struct Fixture {
    db: DatabaseConnection,
    _database: TestDatabase,
}

async fn fixture(label: &str) -> Fixture {
    let database = TestDatabase::fresh(label).await.expect("database");
    let db = backorder_platform::db::connect(&database.settings)
        .await
        .expect("connect");
    backorder_platform::db::migrate::<PlatformOnly>(&db)
        .await
        .expect("migrate");
    Fixture {
        db,
        _database: database,
    }
}

/// Writes Notify messages for `destination` in one transaction, in order.
async fn enqueue_notices(
    db: &DatabaseConnection,
    destination: Peer,
    details: &[&str],
) -> Vec<String> {
    use sea_orm::TransactionTrait;
    let txn = db.begin().await.expect("begin");
    let mut ids = Vec::new();
    for detail in details {
        let id = uuid::Uuid::now_v7().to_string();
        let message = pb::NotifyRequest {
            request_id: id.clone(),
            detail: (*detail).to_owned(),
            ..Default::default()
        };
        enqueue(
            &txn,
            Envelope {
                id: id.clone(),
                destination,
                method: <pb::NotifyRequest as Rpc>::PATH,
                payload: prost::Message::encode_to_vec(&message),
                trace_context: None,
            },
        )
        .await
        .expect("enqueue");
        ids.push(id);
    }
    txn.commit().await.expect("commit");
    ids
}

fn start_relay(
    db: &DatabaseConnection,
    peers: BTreeMap<Peer, PeerChannel>,
    settings: OutboxSettings,
    signal: OutboxSignal,
) -> (
    backorder_platform::server::ShutdownTrigger,
    tokio::task::JoinHandle<()>,
) {
    let (trigger, shutdown): (_, Shutdown) = Shutdown::channel();
    let relay = Relay::new(db.clone(), peers, settings, signal);
    (trigger, tokio::spawn(relay.run(shutdown)))
}

async fn undelivered(db: &DatabaseConnection) -> u64 {
    outbox_message::Entity::find()
        .filter(outbox_message::Column::DeliveredAt.is_null())
        .count(db)
        .await
        .expect("count")
}

async fn eventually<F, Fut>(what: &str, timeout: Duration, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + timeout;
    while !check().await {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_relays_on_one_database_deliver_each_message_once_and_in_order() {
    let (receiver, channel) = start_receiver().await;
    let f = fixture("relay_twins").await;
    let details = vec![""; 300];
    let ids = enqueue_notices(&f.db, Peer::Notification, &details).await;
    let mut stops = Vec::new();
    for _ in 0..2 {
        let peers = BTreeMap::from([(Peer::Notification, channel.clone())]);
        stops.push(start_relay(&f.db, peers, settings(25), OutboxSignal::new()));
    }
    eventually("all delivered", Duration::from_secs(30), || async {
        undelivered(&f.db).await == 0
    })
    .await;
    for (trigger, handle) in stops {
        trigger.stop();
        handle.await.expect("relay stops");
    }
    assert!(
        ids.iter().all(|id| receiver.count(id) == 1),
        "each exactly once"
    );
    assert_eq!(receiver.arrivals(), ids, "in id order");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_commit_wakes_the_relay_without_waiting_for_the_poll() {
    let (receiver, channel) = start_receiver().await;
    let f = fixture("relay_wake").await;
    let signal = OutboxSignal::new();
    let units = UnitOfWork::new(f.db.clone(), signal.clone());
    let peers = BTreeMap::from([(Peer::Notification, channel)]);
    let mut slow_poll = settings(10);
    slow_poll.poll_interval_ms = 60_000;
    let (trigger, handle) = start_relay(&f.db, peers, slow_poll, signal);
    // Let the relay's first round pass so only a wake can start the next.
    tokio::time::sleep(Duration::from_millis(200)).await;
    units
        .internal(|work| {
            Box::pin(async move {
                work.send(pb::NotifyRequest {
                    detail: "woken".into(),
                    ..Default::default()
                })
                .await
            })
        })
        .await
        .expect("unit of work");
    eventually(
        "delivery after the commit",
        Duration::from_secs(10),
        || async { receiver.arrivals().len() == 1 },
    )
    .await;
    trigger.stop();
    handle.await.expect("relay stops");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_later_message_never_overtakes_one_waiting_for_its_retry() {
    let (receiver, channel) = start_receiver().await;
    let f = fixture("relay_order").await;
    let ids = enqueue_notices(&f.db, Peer::Notification, &["flaky", "a", "b"]).await;
    let peers = BTreeMap::from([(Peer::Notification, channel)]);
    let (trigger, handle) = start_relay(&f.db, peers, settings(10), OutboxSignal::new());
    eventually("all delivered", Duration::from_secs(10), || async {
        undelivered(&f.db).await == 0
    })
    .await;
    trigger.stop();
    handle.await.expect("relay stops");
    let expected = vec![
        ids[0].clone(),
        ids[0].clone(),
        ids[1].clone(),
        ids[2].clone(),
    ];
    assert_eq!(receiver.arrivals(), expected);
}

#[tokio::test(flavor = "multi_thread")]
async fn refusals_park_at_once_or_after_a_few_attempts_and_the_rest_goes_on() {
    let (receiver, channel) = start_receiver().await;
    let f = fixture("relay_park").await;
    let ids = enqueue_notices(&f.db, Peer::Notification, &["poison", "unknown", "fine"]).await;
    let peers = BTreeMap::from([(Peer::Notification, channel)]);
    let (trigger, handle) = start_relay(&f.db, peers, settings(10), OutboxSignal::new());
    eventually(
        "the last message delivered",
        Duration::from_secs(10),
        || async { receiver.count(&ids[2]) == 1 },
    )
    .await;
    trigger.stop();
    handle.await.expect("relay stops");
    assert_eq!(
        receiver.count(&ids[0]),
        1,
        "INVALID_ARGUMENT is not retried"
    );
    assert_eq!(receiver.count(&ids[1]), 3, "NOT_FOUND gets three attempts");
    assert_eq!(undelivered(&f.db).await, 2, "two parked");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_stuck_destination_does_not_hold_up_another() {
    let (stuck, stuck_channel) = start_receiver().await;
    let (fast, fast_channel) = start_receiver().await;
    let f = fixture("relay_independent").await;
    let stuck_ids = enqueue_notices(&f.db, Peer::Notification, &["stuck", "after"]).await;
    // The order peer is served by a second receiver of the same kind.
    let fast_ids = enqueue_notices(&f.db, Peer::Order, &["x"; 20]).await;
    let peers = BTreeMap::from([
        (Peer::Notification, stuck_channel),
        (Peer::Order, fast_channel),
    ]);
    let (trigger, handle) = start_relay(&f.db, peers, settings(5), OutboxSignal::new());
    eventually(
        "the other destination delivered",
        Duration::from_secs(5),
        || async { fast_ids.iter().all(|id| fast.count(id) == 1) },
    )
    .await;
    assert_eq!(
        stuck.count(&stuck_ids[1]),
        0,
        "the stuck queue keeps its order"
    );
    trigger.stop();
    handle.await.expect("relay stops");
}

#[tokio::test(flavor = "multi_thread")]
async fn operators_list_retry_and_drop_parked_messages_over_grpc() {
    let (receiver, channel) = start_receiver().await;
    let f = fixture("relay_admin").await;
    let ids = enqueue_notices(&f.db, Peer::Notification, &["poison", "poison"]).await;
    let signal = OutboxSignal::new();
    let peers = BTreeMap::from([(Peer::Notification, channel)]);
    let (trigger, handle) = start_relay(&f.db, peers, settings(10), signal.clone());
    eventually("both parked", Duration::from_secs(10), || async {
        receiver.count(&ids[1]) == 1
    })
    .await;

    let admin = OutboxAdmin::new(
        Peer::Inventory,
        f.db.clone(),
        UnitOfWork::new(f.db.clone(), signal.clone()),
        signal,
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("address");
    tokio::spawn(
        tonic::transport::Server::builder()
            .add_service(OutboxAdminServiceServer::new(admin))
            .serve_with_incoming(tokio_stream::wrappers::TcpListenerStream::new(listener)),
    );
    let endpoint = tonic::transport::Endpoint::from_shared(format!("http://{addr}"))
        .expect("endpoint")
        .timeout(Duration::from_secs(5));
    let mut client = OutboxAdminServiceClient::new(endpoint.connect_lazy());

    // The receiver answers before the relay records the parking: wait for
    // the record, not for the answer.
    let deadline = Instant::now() + Duration::from_secs(10);
    let listed = loop {
        let listed = client
            .list_parked_messages(admin_pb::ListParkedMessagesRequest {
                destination: "notification".into(),
                ..Default::default()
            })
            .await
            .expect("list")
            .into_inner();
        let listed_ids: Vec<String> = listed.messages.iter().map(|m| m.id.clone()).collect();
        if listed_ids == ids {
            break listed;
        }
        assert!(
            Instant::now() < deadline,
            "both parked messages listed, got {listed_ids:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert!(
        listed.messages[0]
            .last_error
            .starts_with("INVALID_ARGUMENT: "),
        "{}",
        listed.messages[0].last_error
    );

    let bad = client
        .list_parked_messages(admin_pb::ListParkedMessagesRequest {
            destination: "billing".into(),
            ..Default::default()
        })
        .await
        .expect_err("unknown destination");
    assert_eq!(bad.code(), Code::InvalidArgument);

    let retried = client
        .retry_parked_message(admin_pb::RetryParkedMessageRequest {
            request_id: uuid::Uuid::now_v7().to_string(),
            message_id: ids[0].clone(),
        })
        .await
        .expect("retry")
        .into_inner();
    assert_eq!(retried.message.map(|m| m.attempts), Some(0));
    eventually(
        "the retried message sent again",
        Duration::from_secs(10),
        || async { receiver.count(&ids[0]) == 2 },
    )
    .await;

    let drop_request = admin_pb::DropParkedMessageRequest {
        request_id: uuid::Uuid::now_v7().to_string(),
        message_id: ids[1].clone(),
        reason: "order was deleted by hand".into(),
    };
    let dropped = client
        .drop_parked_message(drop_request.clone())
        .await
        .expect("drop")
        .into_inner();
    let again = client
        .drop_parked_message(drop_request.clone())
        .await
        .expect("same request id, same answer")
        .into_inner();
    assert_eq!(dropped, again);
    let twice = client
        .drop_parked_message(admin_pb::DropParkedMessageRequest {
            request_id: uuid::Uuid::now_v7().to_string(),
            ..drop_request
        })
        .await
        .expect_err("already dropped");
    assert_eq!(twice.code(), Code::FailedPrecondition);
    eventually(
        "only the re-parked message listed",
        Duration::from_secs(10),
        || {
            let mut client = client.clone();
            let first = ids[0].clone();
            async move {
                let page = client
                    .list_parked_messages(admin_pb::ListParkedMessagesRequest::default())
                    .await
                    .expect("list")
                    .into_inner();
                page.messages
                    .iter()
                    .map(|m| m.id.clone())
                    .collect::<Vec<_>>()
                    == vec![first]
            }
        },
    )
    .await;
    trigger.stop();
    handle.await.expect("relay stops");
}
