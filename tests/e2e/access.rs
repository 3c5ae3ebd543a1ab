//! Who may call what, over mutual TLS: the services reach each other with
//! their certificates, operators and external systems with tokens, and a
//! call by anyone else is refused before it can write anything.

use std::collections::BTreeMap;
use std::time::Duration;

use backorder_platform::access::{AccessRule, Caller, Role};
use backorder_proto::Peer;
use backorder_proto::inventory::v1 as inv;
use backorder_proto::inventory::v1::inventory_service_client::InventoryServiceClient;
use backorder_proto::notification::v1 as notif;
use backorder_proto::notification::v1::notification_service_client::NotificationServiceClient;
use backorder_proto::order::v1 as ord;
use backorder_proto::order::v1::order_service_client::OrderServiceClient;
use backorder_tests::pki::{Credentials, ROLES};
use backorder_tests::{SERVICES, Suite, SuiteOptions, eventually, raw, rid};
use sea_orm::{ConnectionTrait, Database, Statement};
use tonic::Code;
use tonic::transport::Channel;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_client::HealthClient;

const OPERATOR: Credentials = Credentials::Token(Role::Operator);
const STOREFRONT: Credentials = Credentials::Token(Role::Storefront);

/// Every credential a test can present.
fn everyone() -> Vec<Credentials> {
    let mut all = vec![Credentials::None, Credentials::Stranger];
    all.extend(SERVICES.iter().map(|s| Credentials::Service(s)));
    all.extend(ROLES.iter().map(|r| Credentials::Token(*r)));
    all
}

/// The rules a service enforces: its own table and outbox administration.
fn rules(service: &str) -> Vec<AccessRule> {
    let own: &[AccessRule] = match service {
        "inventory" => inventory::handlers::InventoryApi::ACCESS,
        "order" => order::handlers::OrderApi::ACCESS,
        "procurement" => procurement::handlers::ProcurementApi::ACCESS,
        "notification" => notification::handlers::NotificationApi::ACCESS,
        other => panic!("unknown service {other}"),
    };
    own.iter()
        .chain(backorder_platform::outbox::ACCESS)
        .copied()
        .collect()
}

fn caller(credentials: &Credentials) -> Option<Caller> {
    match credentials {
        Credentials::None | Credentials::Stranger => None,
        Credentials::Service(name) => Some(Caller::Service(name.parse::<Peer>().expect("peer"))),
        Credentials::Token(role) => Some(Caller::Holder {
            name: "test".into(),
            role: *role,
        }),
    }
}

/// Rows per table of every service's database.
async fn row_counts(suite: &Suite) -> BTreeMap<String, i64> {
    let mut counts = BTreeMap::new();
    for service in SERVICES {
        let db = Database::connect(suite.database_url(service))
            .await
            .expect("database");
        let backend = db.get_database_backend();
        let tables_sql = if suite.is_postgres() {
            "SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public'"
        } else {
            "SELECT name FROM sqlite_master WHERE type = 'table'"
        };
        let tables = db
            .query_all_raw(Statement::from_string(backend, tables_sql))
            .await
            .expect("tables");
        for row in tables {
            let table: String = row.try_get("", "name").expect("table name");
            let count = db
                .query_one_raw(Statement::from_string(
                    backend,
                    format!("SELECT COUNT(*) AS n FROM \"{table}\""),
                ))
                .await
                .expect("count")
                .expect("a row");
            let n: i64 = count.try_get("", "n").expect("n");
            counts.insert(format!("{service}.{table}"), n);
        }
        let _ = db.close().await;
    }
    counts
}

/// Waits until no service writes anything for a while.
async fn quiet_counts(suite: &Suite) -> BTreeMap<String, i64> {
    let mut last = row_counts(suite).await;
    eventually("the suite to go quiet", Duration::from_secs(30), || {
        let previous = last.clone();
        async move {
            tokio::time::sleep(Duration::from_millis(700)).await;
            let now = row_counts(suite).await;
            (now == previous).then_some(now)
        }
    })
    .await
    .clone_into(&mut last);
    last
}

#[tokio::test(flavor = "multi_thread")]
async fn every_mutating_rpc_refuses_callers_it_does_not_name_and_writes_nothing() {
    let suite = Suite::start_with(SuiteOptions {
        secure: true,
        ..SuiteOptions::default()
    })
    .await;
    let mut channels: BTreeMap<(String, String), Channel> = BTreeMap::new();
    let before = quiet_counts(&suite).await;
    let mut refused = 0;
    for method in raw::methods()
        .into_iter()
        .filter(|m| m.request_id_field.is_some())
    {
        let served_by: Vec<&str> = match method.service() {
            Some(service) => vec![
                SERVICES
                    .into_iter()
                    .find(|s| *s == service)
                    .expect("a service of the suite"),
            ],
            None => SERVICES.to_vec(),
        };
        for service in served_by {
            let callers = rules(service)
                .iter()
                .find(|r| r.path == method.path)
                .map(|r| r.callers)
                .unwrap_or_else(|| panic!("{} has no rule", method.path));
            for credentials in everyone() {
                if caller(&credentials).is_some_and(|c| callers.admits(&c)) {
                    continue;
                }
                let channel = channels
                    .entry((service.to_owned(), format!("{credentials:?}")))
                    .or_insert_with(|| suite.channel_as(service, &credentials))
                    .clone();
                let request = suite.request_as(&credentials, method.request_with_id(&rid()));
                let status = raw::call(channel, &method.path, request)
                    .await
                    .expect_err("refused");
                let expected = match credentials {
                    Credentials::None | Credentials::Stranger => Code::Unauthenticated,
                    _ => Code::PermissionDenied,
                };
                assert_eq!(
                    status.code(),
                    expected,
                    "{} by {credentials:?}: {}",
                    method.path,
                    status.message()
                );
                refused += 1;
            }
        }
    }
    assert!(refused > 300, "only {refused} refusals tried");
    let after = row_counts(&suite).await;
    assert_eq!(before, after, "refused calls wrote something");
}

#[tokio::test(flavor = "multi_thread")]
async fn services_reach_each_other_by_certificate_and_people_by_token() {
    let suite = Suite::start_with(SuiteOptions {
        secure: true,
        processes: true,
        ..SuiteOptions::default()
    })
    .await;
    let inventory = |credentials: &Credentials| {
        InventoryServiceClient::new(suite.channel_as("inventory", credentials))
    };
    let notification = |credentials: &Credentials| {
        NotificationServiceClient::new(suite.channel_as("notification", credentials))
    };

    // Health and reflection stay open to anyone who can reach the port.
    for service in SERVICES {
        HealthClient::new(suite.channel_as(service, &Credentials::None))
            .check(HealthCheckRequest::default())
            .await
            .expect("health needs no credentials");
    }

    inventory(&OPERATOR)
        .create_product(suite.request_as(
            &OPERATOR,
            inv::CreateProductRequest {
                request_id: rid(),
                sku: "SEC-1".into(),
                name: "Secured".into(),
                backorder_policy: inv::BackorderPolicy::Allow as i32,
                ..Default::default()
            },
        ))
        .await
        .expect("an operator creates a product");

    // Only operators adjust stock: the same request by anyone else is
    // refused and leaves no trace, not even its request id.
    let adjust = inv::AdjustStockRequest {
        request_id: rid(),
        sku: "SEC-1".into(),
        delta: 5,
        reason: "count".into(),
        warehouse: String::new(),
    };
    for credentials in everyone().into_iter().filter(|c| *c != OPERATOR) {
        let status = inventory(&credentials)
            .adjust_stock(suite.request_as(&credentials, adjust.clone()))
            .await
            .expect_err("only operators adjust stock");
        assert!(
            matches!(
                status.code(),
                Code::PermissionDenied | Code::Unauthenticated
            ),
            "{credentials:?}: {status:?}"
        );
    }
    let on_hand = |product: inv::GetProductResponse| {
        product
            .product
            .and_then(|p| p.stock)
            .map(|s| s.on_hand)
            .unwrap_or(-1)
    };
    let product = inventory(&OPERATOR)
        .get_product(suite.request_as(
            &OPERATOR,
            inv::GetProductRequest {
                sku: "SEC-1".into(),
            },
        ))
        .await
        .expect("product")
        .into_inner();
    assert_eq!(on_hand(product), 0, "refused adjustments changed nothing");
    inventory(&OPERATOR)
        .adjust_stock(suite.request_as(&OPERATOR, adjust.clone()))
        .await
        .expect("the operator's adjustment, under the id others tried");
    let product = inventory(&OPERATOR)
        .get_product(suite.request_as(
            &OPERATOR,
            inv::GetProductRequest {
                sku: "SEC-1".into(),
            },
        ))
        .await
        .expect("product")
        .into_inner();
    assert_eq!(on_hand(product), 5);

    // The storefront keeps a customer and sells; order reserves through
    // inventory and tells notification, each by its certificate.
    let customer_id = rid();
    notification(&STOREFRONT)
        .upsert_customer(suite.request_as(
            &STOREFRONT,
            notif::UpsertCustomerRequest {
                request_id: rid(),
                customer: Some(notif::Customer {
                    id: customer_id.clone(),
                    name: "Zelda Quartermaine".into(),
                    email: "zelda.q@example.com".into(),
                    phone: "+15550123456".into(),
                    channels: vec![notif::Channel::Email as i32],
                    ..Default::default()
                }),
            },
        ))
        .await
        .expect("the storefront keeps its customers");
    let order = OrderServiceClient::new(suite.channel_as("order", &STOREFRONT))
        .place_order(suite.request_as(
            &STOREFRONT,
            ord::PlaceOrderRequest {
                request_id: rid(),
                customer_id: customer_id.clone(),
                lines: vec![ord::PlaceOrderLine {
                    sku: "SEC-1".into(),
                    quantity: 2,
                }],
                accept_backorders: true,
                ..Default::default()
            },
        ))
        .await
        .expect("the storefront sells")
        .into_inner()
        .order
        .expect("order");
    assert_eq!(
        order.lines[0].status,
        ord::LineStatus::Ready as i32,
        "order reserved the units through inventory"
    );
    eventually("the sale's notice", Duration::from_secs(30), || async {
        let notices = notification(&OPERATOR)
            .list_notifications(suite.request_as(
                &OPERATOR,
                notif::ListNotificationsRequest {
                    order_id: order.id.clone(),
                    ..Default::default()
                },
            ))
            .await
            .ok()?
            .into_inner()
            .notifications;
        (!notices.is_empty()).then_some(())
    })
    .await;

    // Only order reserves, issues and releases stock.
    let line = order.lines[0].id.clone();
    for credentials in [OPERATOR, Credentials::Service("procurement")] {
        let mut client = inventory(&credentials);
        let status = client
            .release_reservation(suite.request_as(
                &credentials,
                inv::ReleaseReservationRequest {
                    request_id: rid(),
                    order_id: order.id.clone(),
                    line_id: line.clone(),
                },
            ))
            .await
            .expect_err("only order releases");
        assert_eq!(status.code(), Code::PermissionDenied, "{status:?}");
        assert!(
            status.message().contains("ReleaseReservation")
                && status.message().contains("the order service"),
            "the refusal says who may: {}",
            status.message()
        );
        let status = client
            .issue_stock(suite.request_as(
                &credentials,
                inv::IssueStockRequest {
                    request_id: rid(),
                    order_id: order.id.clone(),
                    line_ids: vec![line.clone()],
                    shipment_id: rid(),
                    ..Default::default()
                },
            ))
            .await
            .expect_err("only order issues");
        assert_eq!(status.code(), Code::PermissionDenied, "{status:?}");
    }
    let reservations = inventory(&OPERATOR)
        .list_reservations(suite.request_as(
            &OPERATOR,
            inv::ListReservationsRequest {
                order_id: order.id.clone(),
                ..Default::default()
            },
        ))
        .await
        .expect("reservations")
        .into_inner()
        .reservations;
    assert_eq!(reservations.len(), 1);
    assert_eq!(reservations[0].reserved_quantity, 2, "still reserved");

    // Contact details are for operators.
    for credentials in [STOREFRONT, Credentials::Service("order")] {
        let status = notification(&credentials)
            .get_customer(suite.request_as(
                &credentials,
                notif::GetCustomerRequest {
                    customer_id: customer_id.clone(),
                },
            ))
            .await
            .expect_err("contact details are for operators");
        assert_eq!(status.code(), Code::PermissionDenied, "{status:?}");
    }
    let customer = notification(&OPERATOR)
        .get_customer(suite.request_as(
            &OPERATOR,
            notif::GetCustomerRequest {
                customer_id: customer_id.clone(),
            },
        ))
        .await
        .expect("an operator reads contact details")
        .into_inner()
        .customer
        .expect("customer");
    assert_eq!(customer.email, "zelda.q@example.com");

    // One audit line per mutating call by a token holder: who, what, which
    // request; and no customer's details in any log.
    let log = suite.log("inventory");
    let audited: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("audit") && l.contains(&adjust.request_id))
        .collect();
    assert_eq!(audited.len(), 1, "one audit line: {audited:?}");
    assert!(
        audited[0].contains("operator-of-the-test") && audited[0].contains("AdjustStock"),
        "{}",
        audited[0]
    );
    for service in SERVICES {
        let log = suite.log(service);
        for private in [
            "Zelda",
            "Quartermaine",
            "zelda.q@example.com",
            "15550123456",
        ] {
            assert!(!log.contains(private), "{service} logged {private}");
        }
    }

    // Tokens rotate without a restart: a token taken out of the file stops
    // working within the reload interval.
    let tokens_file = suite.dir.join("pki").join("tokens.toml");
    let kept: String = std::fs::read_to_string(&tokens_file)
        .expect("tokens")
        .split("\n\n")
        .filter(|entry| !entry.contains("role = \"storefront\""))
        .collect::<Vec<_>>()
        .join("\n\n");
    std::fs::write(&tokens_file, kept).expect("rotate");
    eventually(
        "the storefront's token revoked",
        Duration::from_secs(15),
        || async {
            let status = notification(&STOREFRONT)
                .upsert_customer(suite.request_as(
                    &STOREFRONT,
                    notif::UpsertCustomerRequest {
                        request_id: rid(),
                        customer: Some(notif::Customer {
                            id: rid(),
                            name: "Late".into(),
                            email: "late@example.com".into(),
                            channels: vec![notif::Channel::Email as i32],
                            ..Default::default()
                        }),
                    },
                ))
                .await
                .err()?;
            (status.code() == Code::Unauthenticated).then_some(())
        },
    )
    .await;
}
