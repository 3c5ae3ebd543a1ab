//! A SKU's waiting queue, in allocation order.

use backorder_platform::ServiceResult;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    Select,
};
use uuid::Uuid;

use super::reservations::lines;
use crate::domain::{Reservation, ReservationState};
use crate::store::m20261201_000102_index_queue_in_allocation_order::WAITING;
use crate::store::reservation::{self, Column};

/// Position of a reservation in its SKU's queue: what orders it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueKey {
    /// Priority (higher first).
    pub priority: i32,
    /// Arrival (earlier first).
    pub created_at: i64,
    /// Tie-break.
    pub id: Uuid,
}

impl QueueKey {
    /// The key of a reservation.
    pub fn of(line: &Reservation) -> Self {
        Self {
            priority: line.priority,
            created_at: line.created_at,
            id: line.id,
        }
    }

    /// As a page cursor.
    pub fn encode(&self) -> String {
        format!("{}|{}|{}", self.priority, self.created_at, self.id)
    }

    /// From a page cursor.
    pub fn decode(text: &str) -> Option<Self> {
        let mut parts = text.splitn(3, '|');
        Some(Self {
            priority: parts.next()?.parse().ok()?,
            created_at: parts.next()?.parse().ok()?,
            id: Uuid::try_parse(parts.next()?).ok()?,
        })
    }
}

/// Waiting lines of a SKU in allocation order (priority, then arrival),
/// starting after `after`: `limit` entries of the `reservation_waiting_queue`
/// partial index, whatever the size of the backlog.
pub async fn waiting_queue<C: ConnectionTrait>(
    conn: &C,
    sku: &str,
    after: Option<&QueueKey>,
    limit: u64,
) -> ServiceResult<Vec<Reservation>> {
    lines(queue_query(sku, after, limit).all(conn).await?)
}

/// The statement [`waiting_queue`] runs (public so the bench can explain
/// it).
pub fn queue_query(sku: &str, after: Option<&QueueKey>, limit: u64) -> Select<reservation::Entity> {
    debug_assert_eq!(ReservationState::Waiting.code(), WAITING);
    let mut query = reservation::Entity::find()
        .filter(Column::Sku.eq(sku))
        // A literal, as in the index's predicate (a bound parameter would
        // not match it in a generic plan).
        .filter(Expr::cust(format!("state = {WAITING}")))
        .order_by_desc(Column::Priority)
        .order_by_asc(Column::CreatedAt)
        .order_by_asc(Column::Id)
        .limit(limit);
    if let Some(key) = after {
        query = query.filter(
            Condition::any().add(Column::Priority.lt(key.priority)).add(
                Condition::all().add(Column::Priority.eq(key.priority)).add(
                    Condition::any()
                        .add(Column::CreatedAt.gt(key.created_at))
                        .add(
                            Condition::all()
                                .add(Column::CreatedAt.eq(key.created_at))
                                .add(Column::Id.gt(key.id.to_string())),
                        ),
                ),
            ),
        );
    }
    query
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_garbage_is_refused() {
        let key = QueueKey {
            priority: 5,
            created_at: 1_700_000_000_123,
            id: Uuid::from_u128(42),
        };
        assert_eq!(QueueKey::decode(&key.encode()), Some(key));
        assert_eq!(QueueKey::decode("5|x|y"), None);
        assert_eq!(QueueKey::decode("5|1|not-a-uuid"), None);
    }

    /// Filling k waiting lines must not cost the SKU's or the table's whole
    /// backlog: on PostgreSQL, with 200,000 reservations (waiting and done,
    /// of this SKU and others), the head of the queue comes from the partial
    /// index in allocation order, with no sort and no sequential scan.
    #[tokio::test]
    async fn the_queue_head_is_read_from_the_index_whatever_the_backlog() {
        if backorder_platform::testing::postgres_server().is_none() {
            eprintln!("skipped: needs BACKORDER_TEST_DATABASE_URL (PostgreSQL)");
            return;
        }
        let database = backorder_platform::testing::TestDatabase::fresh("queue_plan")
            .await
            .expect("database");
        let db = backorder_platform::db::connect(&database.settings)
            .await
            .expect("connect");
        backorder_platform::db::migrate::<crate::store::Migrator>(&db)
            .await
            .expect("migrate");
        db.execute_unprepared(
            "INSERT INTO reservation (id, order_id, line_id, sku, warehouse, quantity, reserved_quantity, \
             waiting_quantity, state, priority, priority_reason, trace_context, created_at, updated_at) \
             SELECT md5(g::text), md5(g::text), md5((g + 1)::text), 'SKU-' || (g % 10), 'default', 1, 0, 1, \
                    CASE WHEN g % 3 = 0 THEN 1 ELSE 2 END, g % 4, '', NULL, g, g \
             FROM generate_series(1, 200000) AS g; ANALYZE reservation;",
        )
        .await
        .expect("backlog");
        for after in [
            None,
            Some(QueueKey {
                priority: 2,
                created_at: 5_000,
                id: Uuid::from_u128(7),
            }),
        ] {
            backorder_platform::testing::assert_index_scan(
                &db,
                queue_query("SKU-3", after.as_ref(), 100),
                "reservation_waiting_queue",
            )
            .await;
        }
    }
}
