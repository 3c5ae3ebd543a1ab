//! Migrations keep what earlier versions stored: a stock draft open before
//! drop-ship existed is still the supplier's one draft afterwards, next to
//! the drop-ship drafts it may now have; suppliers and demand from before
//! replenishment read as unscheduled suppliers and order-line demand;
//! purchase orders from before delays read as on time until found late.

use std::collections::BTreeMap;

use backorder_platform::ids::new_id_string;
use backorder_platform::service::ServiceContext;
use backorder_platform::testing::TestDatabase;
use procurement::ProcurementApi;
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};
use sea_orm_migration::MigratorTrait;

use crate::helpers::*;

/// A database migrated up to, not including, the migration named `name`.
async fn migrated_before(database: &str, name: &str) -> (TestDatabase, DatabaseConnection) {
    let database = TestDatabase::fresh(database).await.expect("test database");
    let db = backorder_platform::db::connect(&database.settings)
        .await
        .expect("connect");
    let before = procurement::store::Migrator::migrations()
        .iter()
        .position(|m| m.name() == name)
        .expect("the migration exists");
    procurement::store::Migrator::up(&db, Some(u32::try_from(before).expect("few")))
        .await
        .expect("earlier migrations");
    (database, db)
}

/// Undoes the migrations from the one named `name` to the latest.
async fn undo_from(db: &DatabaseConnection, name: &str) {
    let all = procurement::store::Migrator::migrations();
    let position = all
        .iter()
        .position(|m| m.name() == name)
        .expect("the migration exists");
    let steps = u32::try_from(all.len() - position).expect("few");
    procurement::store::Migrator::down(db, Some(steps))
        .await
        .expect("down");
}

fn purchase_order(id: &str, supplier: &str, status: i32) -> String {
    format!(
        "INSERT INTO purchase_order (id, supplier_id, status, created_at, updated_at) \
         VALUES ('{id}', '{supplier}', {status}, 1, 1)"
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn a_stock_draft_open_before_drop_ship_stays_the_suppliers_one_draft() {
    let (_database, db) =
        migrated_before("proc_migrate_drop_ship", "m20261204_000202_drop_ship").await;
    let (supplier, draft) = (new_id_string(), new_id_string());
    for statement in [
        format!(
            "INSERT INTO supplier (id, name, lead_time_days, created_at) \
             VALUES ('{supplier}', 'Acme', 2, 1)"
        ),
        format!(
            "INSERT INTO supplier_item (supplier_id, sku, unit_cost_minor, \
             minimum_order_quantity, case_pack, preferred, updated_at) \
             VALUES ('{supplier}', 'SKU-1', 5, 1, 1, TRUE, 1)"
        ),
        purchase_order(&draft, &supplier, 1),
        purchase_order(&new_id_string(), &supplier, 2),
    ] {
        db.execute_unprepared(&statement).await.expect("old row");
    }
    procurement::store::Migrator::up(&db, None)
        .await
        .expect("the drop-ship migration");

    // Still one stock draft per supplier.
    let second = db
        .execute_unprepared(&purchase_order(&new_id_string(), &supplier, 1))
        .await;
    assert!(second.is_err(), "a second stock draft is refused");

    let api = ProcurementApi::new(ServiceContext::standalone(db.clone(), BTreeMap::new()));
    let added = call(api.add_demand(demand_request(&new_id_string(), "SKU-1", 2)))
        .await
        .expect("stock demand")
        .demand
        .expect("demand");
    assert_eq!(added.purchase_order_id, draft, "lands on the old draft");
    let old = call(api.get_purchase_order(
        backorder_proto::procurement::v1::GetPurchaseOrderRequest {
            purchase_order_id: draft.clone(),
        },
    ))
    .await
    .expect("old draft")
    .purchase_order
    .expect("purchase order");
    assert!(!old.drop_ship && old.order_id.is_empty());
    assert_eq!(line(&old, "SKU-1").demand_quantity, 2);

    // The old offer reads as stock, and a drop-ship draft now sits beside
    // the stock draft.
    let offer = call(api.set_supplier_item(
        backorder_proto::procurement::v1::SetSupplierItemRequest {
            request_id: new_id_string(),
            supplier_id: supplier.clone(),
            sku: "SKU-1".to_owned(),
            unit_cost_minor: 5,
            minimum_order_quantity: 1,
            case_pack: 1,
            preferred: true,
            drop_ship: true,
        },
    ))
    .await
    .expect("offer")
    .item
    .expect("item");
    assert!(offer.drop_ship);
    let order_id = new_id_string();
    let dropped = call(api.add_demand(drop_ship_request(&order_id, "SKU-1", 1, ADDRESS)))
        .await
        .expect("drop-ship demand")
        .demand
        .expect("demand");
    assert_ne!(dropped.purchase_order_id, draft);
    let twin = format!(
        "INSERT INTO purchase_order (id, supplier_id, status, drop_ship, order_id, \
         created_at, updated_at) VALUES ('{}', '{supplier}', 1, TRUE, '{order_id}', 1, 1)",
        new_id_string()
    );
    assert!(
        db.execute_unprepared(&twin).await.is_err(),
        "one drop-ship draft per supplier and order"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_drop_ship_migration_can_be_undone_and_redone() {
    let (_database, db) =
        migrated_before("proc_migrate_drop_ship_down", "m20261204_000202_drop_ship").await;
    let supplier = new_id_string();
    let draft = new_id_string();
    db.execute_unprepared(&purchase_order(&draft, &supplier, 1))
        .await
        .expect("old draft");
    procurement::store::Migrator::up(&db, None)
        .await
        .expect("up");
    undo_from(&db, "m20261204_000202_drop_ship").await;
    let second = db
        .execute_unprepared(&purchase_order(&new_id_string(), &supplier, 1))
        .await;
    assert!(second.is_err(), "the old one-draft rule is back");
    procurement::store::Migrator::up(&db, None)
        .await
        .expect("up again");
    let second = db
        .execute_unprepared(&purchase_order(&new_id_string(), &supplier, 1))
        .await;
    assert!(second.is_err(), "one stock draft per supplier");
}

fn replenishment_demand(sku: &str, received_at: &str) -> String {
    format!(
        "INSERT INTO demand (id, sku, quantity, order_id, line_id, released, replenishment, \
         received_at, created_at) VALUES ('{}', '{sku}', 5, '', '', FALSE, TRUE, {received_at}, 1)",
        new_id_string()
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn rows_from_before_replenishment_read_as_order_demand_of_unscheduled_suppliers() {
    let (_database, db) = migrated_before(
        "proc_migrate_replenishment",
        "m20261205_000203_replenishment",
    )
    .await;
    let (supplier, order_id) = (new_id_string(), new_id_string());
    for statement in [
        format!(
            "INSERT INTO supplier (id, name, lead_time_days, created_at) \
             VALUES ('{supplier}', 'Acme', 2, 1)"
        ),
        format!(
            "INSERT INTO demand (id, sku, quantity, order_id, line_id, released, created_at) \
             VALUES ('{}', 'SKU-1', 2, '{order_id}', '{}', FALSE, 1)",
            new_id_string(),
            new_id_string()
        ),
    ] {
        db.execute_unprepared(&statement).await.expect("old row");
    }
    procurement::store::Migrator::up(&db, None)
        .await
        .expect("the replenishment migration");

    let api = ProcurementApi::new(ServiceContext::standalone(db.clone(), BTreeMap::new()));
    let found = call(
        api.get_supplier(backorder_proto::procurement::v1::GetSupplierRequest {
            supplier_id: supplier.clone(),
        }),
    )
    .await
    .expect("supplier")
    .supplier
    .expect("supplier");
    assert_eq!(found.auto_submit_hours, 0);
    let demands = call(
        api.list_demands(backorder_proto::procurement::v1::ListDemandsRequest {
            order_id: order_id.clone(),
        }),
    )
    .await
    .expect("demands")
    .demands;
    assert_eq!(demands.len(), 1, "order demand as before");

    // One open replenishment demand per SKU; closed ones do not count.
    db.execute_unprepared(&replenishment_demand("SKU-1", "NULL"))
        .await
        .expect("the first open one");
    db.execute_unprepared(&replenishment_demand("SKU-1", "7"))
        .await
        .expect("a received one beside it");
    db.execute_unprepared(&replenishment_demand("SKU-2", "NULL"))
        .await
        .expect("another SKU's");
    assert!(
        db.execute_unprepared(&replenishment_demand("SKU-1", "NULL"))
            .await
            .is_err(),
        "a second open one is refused"
    );

    undo_from(&db, "m20261205_000203_replenishment").await;
    let left = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT order_id FROM demand",
        ))
        .await
        .expect("demand after down");
    let left: Vec<String> = left
        .iter()
        .map(|row| row.try_get_by_index::<String>(0).expect("order id"))
        .collect();
    assert_eq!(left, [order_id], "order demand stays, replenishment goes");
    procurement::store::Migrator::up(&db, None)
        .await
        .expect("up again");
    db.execute_unprepared(&replenishment_demand("SKU-1", "NULL"))
        .await
        .expect("replenishment demand went with the down migration");
}

#[tokio::test(flavor = "multi_thread")]
async fn orders_from_before_delays_read_as_on_time_until_found_late() {
    let (_database, db) = migrated_before("proc_migrate_delays", "m20261205_000204_delays").await;
    let (supplier, late) = (new_id_string(), new_id_string());
    for statement in [
        format!(
            "INSERT INTO supplier (id, name, lead_time_days, created_at) \
             VALUES ('{supplier}', 'Acme', 2, 1)"
        ),
        format!(
            "INSERT INTO purchase_order (id, supplier_id, status, submitted_at, created_at, \
             updated_at) VALUES ('{late}', '{supplier}', 2, 1000, 1, 1)"
        ),
    ] {
        db.execute_unprepared(&statement).await.expect("old row");
    }
    procurement::store::Migrator::up(&db, None)
        .await
        .expect("the delays migration");

    let api = ProcurementApi::new(ServiceContext::standalone(db.clone(), BTreeMap::new()));
    let get = |api: ProcurementApi, id: String| async move {
        call(
            api.get_purchase_order(backorder_proto::procurement::v1::GetPurchaseOrderRequest {
                purchase_order_id: id,
            }),
        )
        .await
        .expect("purchase order")
        .purchase_order
        .expect("purchase order")
    };
    assert_eq!(get(api.clone(), late.clone()).await.delayed_until, None);
    let now = 10 * 86_400_000;
    assert_eq!(api.catch_delays(now).await.delayed, 1);
    let until = get(api.clone(), late.clone())
        .await
        .delayed_until
        .map(|t| backorder_platform::time::from_timestamp(&t));
    assert_eq!(until, Some(now + 2 * 86_400_000));

    undo_from(&db, "m20261205_000204_delays").await;
    procurement::store::Migrator::up(&db, None)
        .await
        .expect("up again");
    assert_eq!(get(api, late).await.delayed_until, None, "redone empty");
}
