//! The unit of work on a real database (PostgreSQL when
//! BACKORDER_TEST_DATABASE_URL is set): a request id is claimed before the
//! work, so concurrent twins run the work once and get one answer; a failed
//! unit leaves nothing behind.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use backorder_platform::outbox::OutboxSignal;
use backorder_platform::store::outbox_message;
use backorder_platform::testing::TestDatabase;
use backorder_platform::unit_of_work::UnitOfWork;
use backorder_platform::{ServiceError, ServiceResult};
use backorder_proto::notification::v1 as pb;
use sea_orm::{DatabaseConnection, EntityTrait, PaginatorTrait};
use sea_orm_migration::{MigrationTrait, MigratorTrait};
use tonic::Code;

struct PlatformOnly;

impl MigratorTrait for PlatformOnly {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        backorder_platform::store::migrations()
    }
}

async fn database(label: &str) -> (TestDatabase, DatabaseConnection) {
    let database = TestDatabase::fresh(label).await.expect("database");
    let db = backorder_platform::db::connect(&database.settings)
        .await
        .expect("connect");
    backorder_platform::db::migrate::<PlatformOnly>(&db)
        .await
        .expect("migrate");
    (database, db)
}

/// A mutating call whose work counts its runs, holds its transaction open
/// for a while (so a twin arrives meanwhile) and sends one message.
async fn call(
    units: &UnitOfWork,
    request: &pb::NotifyRequest,
    runs: Arc<AtomicU32>,
) -> ServiceResult<pb::NotifyResponse> {
    units
        .execute(request, move |work| {
            Box::pin(async move {
                let run = runs.fetch_add(1, Ordering::SeqCst) + 1;
                tokio::time::sleep(Duration::from_millis(300)).await;
                work.send(pb::NotifyRequest {
                    detail: format!("run {run}"),
                    ..Default::default()
                })
                .await?;
                Ok(pb::NotifyResponse {
                    notification: Some(pb::Notification {
                        id: format!("run {run}"),
                        ..Default::default()
                    }),
                })
            })
        })
        .await
}

fn request(id: &str, detail: &str) -> pb::NotifyRequest {
    pb::NotifyRequest {
        request_id: id.to_owned(),
        detail: detail.to_owned(),
        ..Default::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_twins_run_the_work_once_and_get_the_same_answer() {
    let (_database, db) = database("uow_twins").await;
    let units = UnitOfWork::new(db.clone(), OutboxSignal::new());
    let runs = Arc::new(AtomicU32::new(0));
    let id = uuid::Uuid::now_v7().to_string();
    let twin = request(&id, "hello");
    let (first, second) = tokio::join!(
        call(&units, &twin, runs.clone()),
        call(&units, &twin, runs.clone())
    );
    let first = first.expect("first answer");
    let second = second.expect("second answer");
    assert_eq!(first, second, "one answer for both");
    assert_eq!(runs.load(Ordering::SeqCst), 1, "the work ran once");
    assert_eq!(
        outbox_message::Entity::find()
            .count(&db)
            .await
            .expect("count"),
        1,
        "one message"
    );

    let reused = call(&units, &request(&id, "another body"), runs.clone())
        .await
        .expect_err("same id, other body");
    assert_eq!(reused.code(), Code::AlreadyExists);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failed_unit_leaves_nothing_and_its_id_can_be_used_again() {
    let (_database, db) = database("uow_rollback").await;
    let units = UnitOfWork::new(db.clone(), OutboxSignal::new());
    let id = uuid::Uuid::now_v7().to_string();
    let refused = units
        .execute(&request(&id, "x"), |work| {
            Box::pin(async move {
                work.send(pb::NotifyRequest::default()).await?;
                Err::<pb::NotifyResponse, _>(ServiceError::precondition(
                    "STOCKOUT",
                    "nothing on hand",
                ))
            })
        })
        .await
        .expect_err("refused");
    assert_eq!(refused.code(), Code::FailedPrecondition);
    assert_eq!(
        outbox_message::Entity::find()
            .count(&db)
            .await
            .expect("count"),
        0,
        "the message went with the refusal"
    );
    let runs = Arc::new(AtomicU32::new(0));
    call(&units, &request(&id, "x"), runs.clone())
        .await
        .expect("the same id runs again after a refusal");
    assert_eq!(runs.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_malformed_request_id_is_refused_before_any_work() {
    let (_database, db) = database("uow_malformed").await;
    let units = UnitOfWork::new(db, OutboxSignal::new());
    let runs = Arc::new(AtomicU32::new(0));
    let error = call(&units, &request("not-a-uuid", "x"), runs.clone())
        .await
        .expect_err("malformed id");
    assert_eq!(error.code(), Code::InvalidArgument);
    assert_eq!(runs.load(Ordering::SeqCst), 0);
}
