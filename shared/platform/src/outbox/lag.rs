//! How far behind the relay is, per destination, as gauges: messages
//! waiting to go out and the age of the oldest, and messages parked for an
//! operator (counted apart: they wait on a person, not on the relay).

use backorder_proto::Peer;
use opentelemetry::KeyValue;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QuerySelect};

use super::policy::PARKED;
use super::relay::due_predicate;
use crate::metrics::{age_seconds, sampled};
use crate::service::ServiceContext;
use crate::store::outbox_message::{self, Column};

/// The outbox of one destination, as read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lag {
    /// The receiving service.
    pub destination: Peer,
    /// Messages due or backing off, not yet acknowledged.
    pub undelivered: i64,
    /// When the oldest of them was written (Unix ms).
    pub oldest_undelivered_at: Option<i64>,
    /// Messages parked for an operator.
    pub parked: i64,
}

/// The lag of each of `destinations` (zeros where nothing waits, so a
/// drained queue reports 0 rather than vanishing). Both reads are ranges of
/// the outbox's partial indexes: they grow with what waits, not with what
/// was delivered.
pub async fn lag<C: ConnectionTrait>(conn: &C, destinations: &[Peer]) -> Result<Vec<Lag>, DbErr> {
    let due: Vec<(String, i64, Option<i64>)> = outbox_message::Entity::find()
        .select_only()
        .column(Column::Destination)
        .column_as(Column::Id.count(), "undelivered")
        .column_as(Column::CreatedAt.min(), "oldest")
        .filter(due_predicate())
        .group_by(Column::Destination)
        .into_tuple()
        .all(conn)
        .await?;
    let parked: Vec<(String, i64)> = outbox_message::Entity::find()
        .select_only()
        .column(Column::Destination)
        .column_as(Column::Id.count(), "parked")
        .filter(Column::DeliveredAt.is_null())
        .filter(Expr::cust(format!("next_attempt_at = {PARKED}")))
        .group_by(Column::Destination)
        .into_tuple()
        .all(conn)
        .await?;
    Ok(destinations
        .iter()
        .map(|&destination| {
            let name = destination.name();
            let due = due.iter().find(|(d, _, _)| d == name);
            Lag {
                destination,
                undelivered: due.map_or(0, |(_, count, _)| *count),
                oldest_undelivered_at: due.and_then(|(_, _, oldest)| *oldest),
                parked: parked
                    .iter()
                    .find(|(d, _)| d == name)
                    .map_or(0, |(_, count)| *count),
            }
        })
        .collect())
}

fn destination(lag: &Lag) -> [KeyValue; 1] {
    [KeyValue::new("destination", lag.destination.name())]
}

/// Registers the outbox gauges of the service, one series per destination
/// in `destinations`, when metrics are exported and the service sends to
/// anyone.
pub fn register_gauges(context: &ServiceContext, destinations: Vec<Peer>) {
    if destinations.is_empty() {
        return;
    }
    let Some(gauges) = sampled(context, "outbox lag", move |db| {
        let destinations = destinations.clone();
        async move { Ok(lag(&db, &destinations).await?) }
    }) else {
        return;
    };
    gauges
        .i64_each(
            "outbox.undelivered",
            "Messages waiting to be delivered to the destination (parked ones apart)",
            "{message}",
            |lags: &Vec<Lag>, gauge| {
                for lag in lags {
                    gauge.observe(lag.undelivered, &destination(lag));
                }
            },
        )
        .f64_each(
            "outbox.oldest_undelivered_age_seconds",
            "Age of the oldest message waiting for the destination; 0 when none waits",
            "s",
            |lags: &Vec<Lag>, gauge| {
                for lag in lags {
                    gauge.observe(age_seconds(lag.oldest_undelivered_at), &destination(lag));
                }
            },
        )
        .i64_each(
            "outbox.parked",
            "Messages to the destination parked for an operator",
            "{message}",
            |lags: &Vec<Lag>, gauge| {
                for lag in lags {
                    gauge.observe(lag.parked, &destination(lag));
                }
            },
        );
}
