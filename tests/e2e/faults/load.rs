//! The load of the fault tests: customers, the buyer, and the killer.

use std::collections::BTreeMap;
use std::future::Future;
use std::time::{Duration, Instant};

use backorder_proto::order::v1 as ord;
use backorder_proto::order::v1::order_service_client::OrderServiceClient;
use backorder_proto::procurement::v1 as proc_;
use backorder_proto::procurement::v1::procurement_service_client::ProcurementServiceClient;
use backorder_tests::{SERVICES, Signal, Suite, rid};
use tonic::Code;
use tonic::transport::Channel;

use crate::fixtures::*;
use backorder_tests::rng::Rng;

use super::{RETRY_FOR, SKUS};

/// Channels to every replica of every service, for the client tasks.
#[derive(Clone)]
pub(super) struct Clients {
    pub(super) replicas: usize,
    pub(super) channels: BTreeMap<&'static str, Vec<Channel>>,
}

impl Clients {
    pub(super) fn of(suite: &Suite) -> Self {
        let replicas = suite.replica_count();
        let channels = SERVICES
            .iter()
            .map(|s| (*s, (0..replicas).map(|i| suite.channel_at(s, i)).collect()))
            .collect();
        Self { replicas, channels }
    }

    pub(super) fn channel(&self, service: &str, replica: usize) -> Channel {
        self.channels[service][replica % self.replicas].clone()
    }

    pub(super) fn order(&self, replica: usize) -> OrderServiceClient<Channel> {
        OrderServiceClient::new(self.channel("order", replica))
    }

    pub(super) fn procurement(&self, replica: usize) -> ProcurementServiceClient<Channel> {
        ProcurementServiceClient::new(self.channel("procurement", replica))
    }
}

/// Whether a failed call may succeed when tried again: the service was
/// down, killed mid-call, busy or losing a race it asks to be retried.
pub(super) fn transient(status: &tonic::Status) -> bool {
    match status.code() {
        Code::Unavailable
        | Code::DeadlineExceeded
        | Code::Unknown
        | Code::Cancelled
        | Code::Aborted
        | Code::ResourceExhausted => true,
        Code::Internal => {
            let message = status.message().to_lowercase();
            ["transport", "connection", "h2", "broken pipe", "reset"]
                .iter()
                .any(|w| message.contains(w))
        }
        _ => false,
    }
}

/// Calls `call` (given the attempt's number, to pick a replica) until it
/// answers or fails for good, for at most [`RETRY_FOR`]. Every attempt
/// repeats the same request, request id included.
pub(super) async fn retry<T, F, Fut>(mut call: F) -> Result<T, tonic::Status>
where
    F: FnMut(usize) -> Fut,
    Fut: Future<Output = Result<tonic::Response<T>, tonic::Status>>,
{
    let deadline = Instant::now() + RETRY_FOR;
    let mut attempt = 0;
    loop {
        match call(attempt).await {
            Ok(response) => return Ok(response.into_inner()),
            Err(status) if transient(&status) && Instant::now() < deadline => {
                attempt += 1;
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            Err(status) => return Err(status),
        }
    }
}

/// What a client task did.
#[derive(Default)]
pub(super) struct Tally {
    /// Orders PlaceOrder accepted, by id.
    pub(super) accepted: Vec<String>,
    /// Outcomes by call and code, for the log.
    pub(super) outcomes: BTreeMap<String, u32>,
    /// Answers no client call should get (an internal error, a refusal
    /// of a valid request).
    pub(super) unexpected: Vec<String>,
}

impl Tally {
    pub(super) fn count(&mut self, call: &str, outcome: &Result<impl Sized, tonic::Status>) {
        let code = match outcome {
            Ok(_) => "OK".to_owned(),
            Err(status) => format!("{:?}", status.code()),
        };
        *self.outcomes.entry(format!("{call} {code}")).or_default() += 1;
    }

    /// Records `outcome`; a failure other than the `expected` codes is
    /// unexpected, unless it was transient still when the client gave up
    /// (then the call is simply not done: an order not accepted).
    pub(super) fn expect<T>(
        &mut self,
        call: &str,
        outcome: Result<T, tonic::Status>,
        expected: &[Code],
    ) -> Option<T> {
        self.count(call, &outcome);
        match outcome {
            Ok(value) => Some(value),
            Err(status) => {
                if !expected.contains(&status.code()) && !transient(&status) {
                    self.unexpected.push(format!("{call}: {status:?}"));
                }
                None
            }
        }
    }

    pub(super) fn merge(&mut self, other: Tally) {
        self.accepted.extend(other.accepted);
        for (k, v) in other.outcomes {
            *self.outcomes.entry(k).or_default() += v;
        }
        self.unexpected.extend(other.unexpected);
    }
}

/// One customer's client: places orders, cancels some, ships ready lines.
pub(super) async fn customer_load(
    clients: Clients,
    customer_id: String,
    mut rng: Rng,
    until: Instant,
) -> Tally {
    let mut tally = Tally::default();
    let mut orders: Vec<ord::Order> = Vec::new();
    while Instant::now() < until {
        let replica = rng.index(clients.replicas);
        let roll = rng.below(100);
        if roll < 50 || orders.is_empty() {
            let mut skus = SKUS.to_vec();
            let first = skus.remove(rng.index(skus.len()));
            let mut lines = vec![(first, rng.between(1, 3))];
            if rng.chance(40) {
                lines.push((skus[rng.index(skus.len())], rng.between(1, 3)));
            }
            let request = order_request(&customer_id, &lines);
            let placed = retry(|attempt| {
                let mut client = clients.order(replica + attempt);
                let request = request.clone();
                async move { client.place_order(request).await }
            })
            .await;
            if let Some(order) = tally
                .expect("PlaceOrder", placed, &[])
                .and_then(|r| r.order)
            {
                tally.accepted.push(order.id.clone());
                orders.push(order);
            }
        } else if roll < 62 {
            let order = &orders[rng.index(orders.len())];
            if rng.chance(50) {
                let request = ord::CancelOrderRequest {
                    request_id: rid(),
                    order_id: order.id.clone(),
                    reason: "changed my mind".into(),
                };
                let cancelled = retry(|attempt| {
                    let mut client = clients.order(replica + attempt);
                    let request = request.clone();
                    async move { client.cancel_order(request).await }
                })
                .await;
                tally.expect("CancelOrder", cancelled, &[Code::FailedPrecondition]);
            } else {
                let line = &order.lines[rng.index(order.lines.len())];
                let request = ord::CancelOrderLineRequest {
                    request_id: rid(),
                    order_id: order.id.clone(),
                    line_id: line.id.clone(),
                    reason: "not needed".into(),
                };
                let cancelled = retry(|attempt| {
                    let mut client = clients.order(replica + attempt);
                    let request = request.clone();
                    async move { client.cancel_order_line(request).await }
                })
                .await;
                tally.expect("CancelOrderLine", cancelled, &[Code::FailedPrecondition]);
            }
        } else {
            let id = orders[rng.index(orders.len())].id.clone();
            let read = retry(|attempt| {
                let mut client = clients.order(replica + attempt);
                let request = ord::GetOrderRequest {
                    order_id: id.clone(),
                };
                async move { client.get_order(request).await }
            })
            .await;
            let Some(order) = tally.expect("GetOrder", read, &[]).and_then(|r| r.order) else {
                continue;
            };
            // Only lines ready in full, named: nothing ships in part.
            let ready: Vec<String> = order
                .lines
                .iter()
                .filter(|l| l.status == ord::LineStatus::Ready as i32)
                .map(|l| l.id.clone())
                .collect();
            if ready.is_empty() {
                continue;
            }
            let request = ord::CreateShipmentRequest {
                request_id: rid(),
                order_id: id.clone(),
                line_ids: ready,
                tracking_number: format!("T-{}", rid()),
                carrier: "UPS".into(),
                ..Default::default()
            };
            let shipped = retry(|attempt| {
                let mut client = clients.order(replica + attempt);
                let request = request.clone();
                async move { client.create_shipment(request).await }
            })
            .await;
            // A line cancelled since it was read is refused.
            tally.expect("CreateShipment", shipped, &[Code::FailedPrecondition]);
        }
        tokio::time::sleep(rng.millis(30, 150)).await;
    }
    tally
}

pub(super) fn days_from_now(days: i64) -> prost_types::Timestamp {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    prost_types::Timestamp {
        seconds: i64::try_from(now).unwrap_or(0) + days * 86_400,
        nanos: 0,
    }
}

/// The buyer: submits drafts, acknowledges some of what was submitted and
/// receives acknowledged purchase orders, in full or in part.
pub(super) async fn buyer_load(
    clients: Clients,
    supplier_id: String,
    mut rng: Rng,
    until: Instant,
) -> Tally {
    use proc_::PurchaseOrderStatus as Po;
    let mut tally = Tally::default();
    while Instant::now() < until {
        let replica = rng.index(clients.replicas);
        let listed = retry(|attempt| {
            let mut client = clients.procurement(replica + attempt);
            let request = proc_::ListPurchaseOrdersRequest {
                supplier_id: supplier_id.clone(),
                page_size: 500,
                ..Default::default()
            };
            async move { client.list_purchase_orders(request).await }
        })
        .await;
        let purchase_orders = tally
            .expect("ListPurchaseOrders", listed, &[])
            .map(|r| r.purchase_orders)
            .unwrap_or_default();
        for po in purchase_orders {
            let status = Po::try_from(po.status).unwrap_or(Po::Unspecified);
            match status {
                Po::Draft if po.lines.iter().any(|l| l.ordered_quantity > 0) => {
                    if !rng.chance(50) {
                        continue;
                    }
                    let request = proc_::SubmitPurchaseOrderRequest {
                        request_id: rid(),
                        purchase_order_id: po.id.clone(),
                    };
                    let submitted = retry(|attempt| {
                        let mut client = clients.procurement(replica + attempt);
                        let request = request.clone();
                        async move { client.submit_purchase_order(request).await }
                    })
                    .await;
                    // Its demand may have been released meanwhile.
                    tally.expect(
                        "SubmitPurchaseOrder",
                        submitted,
                        &[Code::FailedPrecondition],
                    );
                }
                Po::Submitted | Po::Acknowledged
                    if status == Po::Submitted && rng.chance(60)
                        || status == Po::Acknowledged && rng.chance(10) =>
                {
                    let request = proc_::AcknowledgePurchaseOrderRequest {
                        request_id: rid(),
                        purchase_order_id: po.id.clone(),
                        promised_time: Some(days_from_now(rng.between(2, 9))),
                    };
                    let acknowledged = retry(|attempt| {
                        let mut client = clients.procurement(replica + attempt);
                        let request = request.clone();
                        async move { client.acknowledge_purchase_order(request).await }
                    })
                    .await;
                    tally.expect("AcknowledgePurchaseOrder", acknowledged, &[]);
                }
                Po::Acknowledged | Po::PartiallyReceived if rng.chance(50) => {
                    let lines: Vec<proc_::ReceiptLine> = po
                        .lines
                        .iter()
                        .filter(|l| l.ordered_quantity > l.received_quantity)
                        .map(|l| {
                            let left = l.ordered_quantity - l.received_quantity;
                            let quantity = if rng.chance(50) {
                                left
                            } else {
                                rng.between(1, left)
                            };
                            proc_::ReceiptLine {
                                sku: l.sku.clone(),
                                quantity,
                            }
                        })
                        .collect();
                    if lines.is_empty() {
                        continue;
                    }
                    let request = proc_::ReceivePurchaseOrderRequest {
                        request_id: rid(),
                        purchase_order_id: po.id.clone(),
                        lines,
                        warehouse: String::new(),
                    };
                    let received = retry(|attempt| {
                        let mut client = clients.procurement(replica + attempt);
                        let request = request.clone();
                        async move { client.receive_purchase_order(request).await }
                    })
                    .await;
                    tally.expect("ReceivePurchaseOrder", received, &[]);
                }
                _ => {}
            }
        }
        tokio::time::sleep(rng.millis(200, 600)).await;
    }
    tally
}

/// Kills a random replica of a random service every one to three seconds
/// until `until`, and starts it again a moment later.
pub(super) async fn kill_at_random(
    suite: &mut Suite,
    rng: &mut Rng,
    until: Instant,
) -> Vec<String> {
    let mut kills = Vec::new();
    let started = Instant::now();
    loop {
        let pause = rng.millis(1000, 3000);
        if Instant::now() + pause >= until {
            break;
        }
        tokio::time::sleep(pause).await;
        let service = SERVICES[rng.index(SERVICES.len())];
        let replica = rng.index(suite.replica_count());
        let down_for = rng.millis(100, 1000);
        println!(
            "  {:>5.1}s: SIGKILL {service}[{replica}], restart after {down_for:?}",
            started.elapsed().as_secs_f64()
        );
        kills.push(format!("{service}[{replica}]"));
        suite.signal_replica(service, replica, Signal::Kill);
        tokio::time::sleep(down_for).await;
        suite.restart_replica(service, replica).await;
    }
    kills
}
