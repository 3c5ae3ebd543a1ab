//! The suite doing the work: PlaceOrder through the order service, which
//! reserves in inventory, writes its outbox and answers.

use backorder_proto::inventory::v1 as inv;
use backorder_proto::notification::v1 as notif;
use backorder_proto::order::v1 as ord;
use backorder_tests::{SERVICES, Suite, rid};
use tonic::transport::Channel;

use crate::cpu::Processes;
use crate::measure::{Measurement, items, measure};

/// SKU of catalogue item `n` of a run.
pub fn sku(prefix: &str, n: usize) -> String {
    format!("{prefix}-{n:04}")
}

/// A suite seeded with `catalogue` products, plenty of stock each, and one
/// customer who wants e-mail.
pub struct Shop {
    pub prefix: String,
    pub customer: String,
    pub orders: ord::order_service_client::OrderServiceClient<Channel>,
    processes: Processes,
}

impl Shop {
    pub async fn open(suite: &Suite, catalogue: usize) -> Self {
        let prefix = format!("B{}", &rid()[30..]);
        let inventory = suite.inventory().await;
        let mut seeding = Vec::new();
        for worker in 0..8 {
            let mut inventory = inventory.clone();
            let prefix = prefix.clone();
            seeding.push(tokio::spawn(async move {
                for n in (worker..catalogue).step_by(8) {
                    inventory
                        .create_product(inv::CreateProductRequest {
                            request_id: rid(),
                            sku: sku(&prefix, n),
                            name: "bench".into(),
                            backorder_policy: inv::BackorderPolicy::Allow as i32,
                            backorder_cap: 0,
                            price_minor: 0,
                            inbound_margin: 0,
                        })
                        .await
                        .expect("product");
                    inventory
                        .adjust_stock(inv::AdjustStockRequest {
                            request_id: rid(),
                            sku: sku(&prefix, n),
                            delta: 1_000_000,
                            reason: "bench".into(),
                            warehouse: String::new(),
                        })
                        .await
                        .expect("stock");
                }
            }));
        }
        for task in seeding {
            task.await.expect("seeding");
        }
        let customer = rid();
        suite
            .notification()
            .await
            .upsert_customer(notif::UpsertCustomerRequest {
                request_id: rid(),
                customer: Some(notif::Customer {
                    id: customer.clone(),
                    name: "Bench".into(),
                    email: "bench@example.com".into(),
                    channels: vec![notif::Channel::Email as i32],
                    ..Default::default()
                }),
            })
            .await
            .expect("customer");
        Self {
            prefix,
            customer,
            orders: suite.order().await,
            processes: Processes::with_services(
                SERVICES
                    .iter()
                    .filter_map(|s| Some(((*s).to_owned(), suite.pid(s)?))),
            ),
        }
    }

    /// Places `orders` orders and lets every outbox drain, then refreshes
    /// each service database's statistics: the measured runs start from a
    /// database with a history, as in service.
    pub async fn warm_up(&self, suite: &Suite, orders: usize) {
        self.place_orders("warm-up", 8, orders, crate::LINES, crate::CATALOGUE)
            .await;
        crate::drain(suite).await;
        let mut connections = Vec::new();
        for service in SERVICES {
            connections.push(
                sea_orm::Database::connect(suite.database_url(service))
                    .await
                    .expect("service database"),
            );
        }
        crate::analyze(&connections.iter().collect::<Vec<_>>()).await;
    }

    /// PlaceOrder of `lines` in-stock lines per order, drawn from
    /// `catalogue` items (the same draw as the baseline's).
    pub async fn place_orders(
        &self,
        name: &str,
        clients: usize,
        total: usize,
        lines: usize,
        catalogue: usize,
    ) -> Measurement {
        let (client, customer, prefix) = (
            self.orders.clone(),
            self.customer.clone(),
            self.prefix.clone(),
        );
        measure(name, clients, total, &self.processes, move |i| {
            let mut client = client.clone();
            let request = ord::PlaceOrderRequest {
                request_id: rid(),
                customer_id: customer.clone(),
                lines: items(i, lines, catalogue)
                    .into_iter()
                    .map(|n| ord::PlaceOrderLine {
                        sku: sku(&prefix, n),
                        quantity: 1,
                    })
                    .collect(),
                accept_backorders: true,
                ship_policy: ord::ShipPolicy::AsAvailable as i32,
                ..Default::default()
            };
            async move {
                client.place_order(request).await.expect("place order");
            }
        })
        .await
    }
}
