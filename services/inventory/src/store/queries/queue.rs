//! A SKU's waiting queue, in allocation order.

use backorder_platform::ServiceResult;
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use uuid::Uuid;

use super::reservations::lines;
use crate::domain::{Reservation, ReservationState};
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
/// starting after `after`. Served by the `reservation_queue` index.
pub async fn waiting_queue<C: ConnectionTrait>(
    conn: &C,
    sku: &str,
    after: Option<&QueueKey>,
    limit: u64,
) -> ServiceResult<Vec<Reservation>> {
    let mut query = reservation::Entity::find()
        .filter(Column::Sku.eq(sku))
        .filter(Column::State.eq(ReservationState::Waiting.code()))
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
    lines(query.all(conn).await?)
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
}
