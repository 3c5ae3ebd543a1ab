//! List pages at scale: the first page and the next one (through its page
//! token) of ListReservations (a SKU's waiting queue) and ListBacklog, timed
//! with the small reservation table and again after receipts.rs seeded
//! 1,000,000 more rows of other SKUs. A page must cost its rows, not the
//! table: the goal is at most 2x.

use std::future::Future;
use std::time::{Duration, Instant};

use backorder_proto::inventory::v1 as inv;
use backorder_tests::{Suite, rid};
use sea_orm::{ConnectionTrait, Database, DatabaseBackend};
use tonic::transport::Channel;

use crate::receipts::seed_sql;

type Client = inv::inventory_service_client::InventoryServiceClient<Channel>;

/// Calls timed per page; the figure is their median.
const CALLS: usize = 20;
/// Rows per page: the RPCs' default.
pub const PAGE: i32 = 50;
/// Waiting lines of the listed SKU: 20 pages of its queue.
const QUEUE: usize = 1_000;
/// Other SKUs with one waiting line each, so that the backlog has pages
/// with the small table too.
const OTHER_SKUS: usize = 199;
/// First seeded row number (receipts.rs seeds from 10,000,000 and
/// 20,000,000 up).
pub const FIRST_ROW: usize = 30_000_000;

/// The listed SKUs: `sku` with [`QUEUE`] waiting lines, and more with one.
pub struct Listed {
    pub sku: String,
}

/// Median times of the four pages.
#[derive(Clone, Copy, Debug)]
pub struct Pages {
    pub queue_first: Duration,
    pub queue_next: Duration,
    pub backlog_first: Duration,
    pub backlog_next: Duration,
}

/// Creates the products and seeds their waiting lines straight into
/// inventory's database (as receipts.rs does), with the stock rows' backlog
/// counts to match.
pub async fn seed(suite: &Suite) -> Listed {
    let db = Database::connect(suite.database_url("inventory"))
        .await
        .expect("inventory database");
    let backend = db.get_database_backend();
    let sku = format!("LST-{}", &rid()[30..]);
    let mut inventory = suite.inventory().await;
    let others: Vec<String> = (0..OTHER_SKUS).map(|i| format!("{sku}-{i:03}")).collect();
    for (n, name) in std::iter::once(&sku).chain(&others).enumerate() {
        inventory
            .create_product(inv::CreateProductRequest {
                request_id: rid(),
                sku: name.clone(),
                name: "listing bench".into(),
                backorder_policy: inv::BackorderPolicy::Allow as i32,
                backorder_cap: 0,
                price_minor: 0,
                inbound_margin: 0,
            })
            .await
            .expect("product");
        let (first, lines) = if n == 0 {
            (FIRST_ROW, QUEUE)
        } else {
            (FIRST_ROW + QUEUE + n, 1)
        };
        db.execute_unprepared(&seed_sql(backend, name, first, lines, true))
            .await
            .expect("waiting lines");
        db.execute_unprepared(&format!(
            "UPDATE stock_level SET backordered = {lines}, waiting_lines = {lines} WHERE sku = '{name}'"
        ))
        .await
        .expect("backlog count");
    }
    if backend == DatabaseBackend::Postgres {
        db.execute_unprepared("ANALYZE reservation")
            .await
            .expect("analyze");
    }
    Listed { sku }
}

/// The median of [`CALLS`] calls of `call`, after two untimed ones.
async fn median<F, Fut>(call: F) -> Duration
where
    F: Fn() -> Fut,
    Fut: Future<Output = ()>,
{
    call().await;
    call().await;
    let mut times = Vec::with_capacity(CALLS);
    for _ in 0..CALLS {
        let started = Instant::now();
        call().await;
        times.push(started.elapsed());
    }
    times.sort();
    times[CALLS / 2]
}

fn queue_request(sku: &str, page_token: &str) -> inv::ListReservationsRequest {
    inv::ListReservationsRequest {
        order_id: String::new(),
        sku: sku.to_owned(),
        page_size: PAGE,
        page_token: page_token.to_owned(),
    }
}

fn backlog_request(page_token: &str) -> inv::ListBacklogRequest {
    inv::ListBacklogRequest {
        page_size: PAGE,
        page_token: page_token.to_owned(),
    }
}

async fn queue_page(client: &Client, request: inv::ListReservationsRequest) -> String {
    let page = client
        .clone()
        .list_reservations(request)
        .await
        .expect("list reservations")
        .into_inner();
    assert_eq!(page.reservations.len(), PAGE as usize, "a full page");
    page.next_page_token
}

async fn backlog_page(client: &Client, request: inv::ListBacklogRequest) -> String {
    let page = client
        .clone()
        .list_backlog(request)
        .await
        .expect("list backlog")
        .into_inner();
    assert_eq!(page.entries.len(), PAGE as usize, "a full page");
    page.next_page_token
}

/// The page tokens of the second page of each list.
pub struct Tokens {
    pub queue: String,
    pub backlog: String,
}

/// Times the first and second pages of both lists.
pub async fn measure(suite: &Suite, listed: &Listed) -> (Pages, Tokens) {
    let client = suite.inventory().await;
    let sku = listed.sku.as_str();
    let queue = queue_page(&client, queue_request(sku, "")).await;
    let backlog = backlog_page(&client, backlog_request("")).await;
    assert!(
        !queue.is_empty() && !backlog.is_empty(),
        "more pages follow"
    );
    let pages = Pages {
        queue_first: median(|| async {
            queue_page(&client, queue_request(sku, "")).await;
        })
        .await,
        queue_next: median(|| async {
            queue_page(&client, queue_request(sku, &queue)).await;
        })
        .await,
        backlog_first: median(|| async {
            backlog_page(&client, backlog_request("")).await;
        })
        .await,
        backlog_next: median(|| async {
            backlog_page(&client, backlog_request(&backlog)).await;
        })
        .await,
    };
    (pages, Tokens { queue, backlog })
}

/// The figures, large over small.
pub fn report(small: &Pages, large: &Pages, extra_rows: usize) {
    println!(
        "\nlist pages ({PAGE} rows; median of {CALLS} calls): small reservation table, \
         then with {extra_rows} more rows (goal: at most 2x)"
    );
    let rows = [
        (
            "ListReservations, SKU queue, first page",
            small.queue_first,
            large.queue_first,
        ),
        (
            "ListReservations, SKU queue, next page",
            small.queue_next,
            large.queue_next,
        ),
        (
            "ListBacklog, first page",
            small.backlog_first,
            large.backlog_first,
        ),
        (
            "ListBacklog, next page",
            small.backlog_next,
            large.backlog_next,
        ),
    ];
    for (name, small, large) in rows {
        let (small, large) = (small.as_secs_f64() * 1000.0, large.as_secs_f64() * 1000.0);
        println!(
            "  {name:<42} {small:>8.2} ms {large:>9.2} ms {:>8.2}x",
            large / small
        );
    }
}
