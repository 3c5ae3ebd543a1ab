//! The line state machine, the order status derived from its lines, what a
//! ship policy allows, and whether an ETA is news to the customer.

use chrono::{DateTime, NaiveDate};

use super::status::{LineStatus, OrderStatus, ShipPolicy};

/// Something that happens to a line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LineEvent {
    /// Inventory answered the reservation; `backordered` when units wait.
    Reserved {
        /// Whether any unit waits for stock.
        backordered: bool,
    },
    /// Inventory allocated every waiting unit.
    Allocated,
    /// Put in a shipment.
    Shipped,
    /// Its shipment was delivered.
    Delivered,
    /// Cancelled by the customer or merchant.
    Cancelled,
}

/// The result of applying an event to a line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Move {
    /// The line moves to a new status.
    To(LineStatus),
    /// Nothing to do: a repeat or a stale message (e.g. allocation of a
    /// line cancelled meanwhile). Receivers ignore it.
    Ignore,
    /// Not yet possible; the sender should retry later.
    NotYet,
    /// Never legal from this status.
    Illegal,
}

/// The line state machine.
pub fn apply(status: LineStatus, event: LineEvent) -> Move {
    use LineEvent as E;
    use LineStatus as S;
    match (status, event) {
        (S::Pending, E::Reserved { backordered: true }) => Move::To(S::Backordered),
        (S::Pending, E::Reserved { backordered: false }) => Move::To(S::Ready),
        (_, E::Reserved { .. }) => Move::Ignore,

        (S::Pending, E::Allocated) => Move::NotYet,
        (S::Backordered, E::Allocated) => Move::To(S::Ready),
        (_, E::Allocated) => Move::Ignore,

        (S::Ready, E::Shipped) => Move::To(S::Shipped),
        (S::Pending | S::Backordered, E::Shipped) => Move::NotYet,
        (_, E::Shipped) => Move::Illegal,

        (S::Shipped, E::Delivered) => Move::To(S::Delivered),
        (S::Delivered, E::Delivered) => Move::Ignore,
        (_, E::Delivered) => Move::Illegal,

        (S::Pending, E::Cancelled) => Move::NotYet,
        (S::Backordered | S::Ready, E::Cancelled) => Move::To(S::Cancelled),
        (_, E::Cancelled) => Move::Illegal,
    }
}

/// Whether a line in `status` can still be cancelled.
pub fn is_cancellable(status: LineStatus) -> bool {
    matches!(apply(status, LineEvent::Cancelled), Move::To(_))
}

/// The order's status from its lines' statuses.
pub fn order_status(lines: &[LineStatus]) -> OrderStatus {
    let open: Vec<LineStatus> = lines
        .iter()
        .copied()
        .filter(|s| *s != LineStatus::Cancelled)
        .collect();
    if open.is_empty() {
        return OrderStatus::Cancelled;
    }
    if open.contains(&LineStatus::Pending) {
        return OrderStatus::Pending;
    }
    let gone = |s: &LineStatus| matches!(s, LineStatus::Shipped | LineStatus::Delivered);
    if open.iter().all(|s| *s == LineStatus::Delivered) {
        OrderStatus::Delivered
    } else if open.iter().all(gone) {
        OrderStatus::Shipped
    } else if open.iter().any(gone) {
        OrderStatus::PartiallyShipped
    } else if open.contains(&LineStatus::Backordered) {
        OrderStatus::Backordered
    } else {
        OrderStatus::Ready
    }
}

/// Why a shipment cannot be made.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ShipRefusal {
    /// No line is ready.
    NothingReady,
    /// A named line is not ready (index into the order's lines, status).
    LineNotReady(usize, LineStatus),
    /// Ship-complete and some open line still waits.
    WaitingForCompletion,
    /// The order's last allowed parcel waits until every open line is
    /// ready (the parcel limit).
    LastParcelWaiting(u32),
    /// The order's last allowed parcel must take every open line; these
    /// ready lines were left out (indices).
    LastParcelTakesAll(u32, Vec<usize>),
    /// Every allowed parcel has shipped (the limit).
    ShipmentLimitReached(u32),
}

/// What the planner needs of a line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shippable {
    /// Its status.
    pub status: LineStatus,
    /// A backordered line with units reserved for it that have not
    /// shipped: those may leave ahead of the rest.
    pub part_ready: bool,
}

impl Shippable {
    /// A line whose units are all reserved.
    pub fn ready(status: LineStatus) -> Self {
        Self {
            status,
            part_ready: false,
        }
    }
}

/// Chooses the lines of a shipment: the named ones (indices into `lines`),
/// or every line with units that may ship when none are named, by the
/// order's `policy` and the parcels it has already had (`shipped_parcels`).
///
/// Ready lines ship whole. The reserved part of a line still waiting for
/// the rest ships ahead of it only when parcels are not limited by the
/// policy at that point: as available, or up to n while more than one
/// parcel is left.
///
/// The rule for a parcel limit of n: while more than one parcel is left,
/// lines ship as available; the last allowed parcel acts as ship-complete
/// for what is left and must take all of it. So an order never needs an
/// (n+1)th parcel, and a customer who asked for few parcels gets early
/// units early only while that costs no extra one.
pub fn plan_shipment(
    policy: ShipPolicy,
    shipped_parcels: u32,
    lines: &[Shippable],
    named: Option<&[usize]>,
) -> Result<Vec<usize>, ShipRefusal> {
    let waiting = lines
        .iter()
        .any(|l| matches!(l.status, LineStatus::Pending | LineStatus::Backordered));
    let last_parcel = match policy {
        ShipPolicy::AsAvailable => None,
        ShipPolicy::Complete if waiting => return Err(ShipRefusal::WaitingForCompletion),
        ShipPolicy::Complete => None,
        ShipPolicy::UpToShipments(n) if shipped_parcels >= n => {
            return Err(ShipRefusal::ShipmentLimitReached(n));
        }
        ShipPolicy::UpToShipments(n) if shipped_parcels + 1 == n => {
            if waiting {
                return Err(ShipRefusal::LastParcelWaiting(n));
            }
            Some(n)
        }
        ShipPolicy::UpToShipments(_) => None,
    };
    let may_ship = |line: &Shippable| {
        line.status == LineStatus::Ready
            || (line.status == LineStatus::Backordered && line.part_ready)
    };
    let ready: Vec<usize> = lines
        .iter()
        .enumerate()
        .filter(|(_, l)| may_ship(l))
        .map(|(i, _)| i)
        .collect();
    let chosen: Vec<usize> = match named {
        Some(indices) => {
            for &i in indices {
                match lines.get(i) {
                    Some(line) if may_ship(line) => {}
                    Some(line) => return Err(ShipRefusal::LineNotReady(i, line.status)),
                    None => return Err(ShipRefusal::NothingReady),
                }
            }
            if let Some(n) = last_parcel {
                let left_out: Vec<usize> = ready
                    .iter()
                    .copied()
                    .filter(|i| !indices.contains(i))
                    .collect();
                if !left_out.is_empty() {
                    return Err(ShipRefusal::LastParcelTakesAll(n, left_out));
                }
            }
            indices.to_vec()
        }
        None => ready,
    };
    if chosen.is_empty() {
        return Err(ShipRefusal::NothingReady);
    }
    Ok(chosen)
}

/// Which customer event an ETA update is: first known, or changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EtaNews {
    /// The first ETA of the line.
    Known,
    /// A different ETA than before.
    Changed,
    /// The same ETA again: nothing to tell.
    Unchanged,
}

/// The UTC calendar day of a Unix-ms instant (`None` beyond chrono's range).
pub fn utc_day(ms: i64) -> Option<NaiveDate> {
    DateTime::from_timestamp_millis(ms).map(|t| t.date_naive())
}

/// Compares a line's stored ETA with a new one (Unix ms). Dates compare by
/// UTC calendar day, so re-sending the same promised date never tells the
/// customer twice.
pub fn eta_news(previous: Option<i64>, new: i64) -> EtaNews {
    match previous {
        None => EtaNews::Known,
        Some(old) if utc_day(old) == utc_day(new) => EtaNews::Unchanged,
        Some(_) => EtaNews::Changed,
    }
}

#[cfg(test)]
mod tests {
    use super::LineStatus as S;
    use super::*;

    fn ready<const N: usize>(statuses: [LineStatus; N]) -> Vec<Shippable> {
        statuses.into_iter().map(Shippable::ready).collect()
    }

    #[test]
    fn reservation_decides_ready_or_backordered() {
        assert_eq!(
            apply(S::Pending, LineEvent::Reserved { backordered: false }),
            Move::To(S::Ready)
        );
        assert_eq!(
            apply(S::Pending, LineEvent::Reserved { backordered: true }),
            Move::To(S::Backordered)
        );
        assert_eq!(
            apply(S::Ready, LineEvent::Reserved { backordered: true }),
            Move::Ignore
        );
    }

    #[test]
    fn allocation_readies_a_backordered_line_and_ignores_stale_ones() {
        assert_eq!(
            apply(S::Backordered, LineEvent::Allocated),
            Move::To(S::Ready)
        );
        assert_eq!(apply(S::Pending, LineEvent::Allocated), Move::NotYet);
        assert_eq!(apply(S::Cancelled, LineEvent::Allocated), Move::Ignore);
        assert_eq!(apply(S::Ready, LineEvent::Allocated), Move::Ignore);
    }

    #[test]
    fn illegal_moves_are_refused() {
        assert_eq!(apply(S::Shipped, LineEvent::Cancelled), Move::Illegal);
        assert_eq!(apply(S::Cancelled, LineEvent::Cancelled), Move::Illegal);
        assert_eq!(apply(S::Cancelled, LineEvent::Shipped), Move::Illegal);
        assert_eq!(apply(S::Ready, LineEvent::Delivered), Move::Illegal);
        assert_eq!(apply(S::Backordered, LineEvent::Shipped), Move::NotYet);
        assert_eq!(apply(S::Ready, LineEvent::Shipped), Move::To(S::Shipped));
        assert_eq!(
            apply(S::Shipped, LineEvent::Delivered),
            Move::To(S::Delivered)
        );
    }

    #[test]
    fn only_waiting_and_ready_lines_can_be_cancelled() {
        assert!(is_cancellable(S::Backordered));
        assert!(is_cancellable(S::Ready));
        for s in [S::Pending, S::Shipped, S::Delivered, S::Cancelled] {
            assert!(!is_cancellable(s), "{s:?}");
        }
    }

    #[test]
    fn order_status_follows_lines() {
        assert_eq!(
            order_status(&[S::Ready, S::Backordered]),
            OrderStatus::Backordered
        );
        assert_eq!(order_status(&[S::Ready, S::Cancelled]), OrderStatus::Ready);
        assert_eq!(
            order_status(&[S::Shipped, S::Backordered]),
            OrderStatus::PartiallyShipped
        );
        assert_eq!(
            order_status(&[S::Shipped, S::Delivered]),
            OrderStatus::Shipped
        );
        assert_eq!(
            order_status(&[S::Delivered, S::Cancelled]),
            OrderStatus::Delivered
        );
        assert_eq!(
            order_status(&[S::Cancelled, S::Cancelled]),
            OrderStatus::Cancelled
        );
        assert_eq!(order_status(&[S::Pending, S::Ready]), OrderStatus::Pending);
    }

    #[test]
    fn shipments_take_ready_lines_and_respect_ship_complete() {
        let lines = [S::Ready, S::Backordered, S::Ready, S::Cancelled];
        assert_eq!(
            plan_shipment(ShipPolicy::AsAvailable, 0, &ready(lines), None),
            Ok(vec![0, 2])
        );
        assert_eq!(
            plan_shipment(ShipPolicy::AsAvailable, 0, &ready(lines), Some(&[1])),
            Err(ShipRefusal::LineNotReady(1, S::Backordered))
        );
        assert_eq!(
            plan_shipment(ShipPolicy::Complete, 0, &ready(lines), None),
            Err(ShipRefusal::WaitingForCompletion)
        );
        assert_eq!(
            plan_shipment(ShipPolicy::AsAvailable, 0, &ready([S::Backordered]), None),
            Err(ShipRefusal::NothingReady)
        );
        assert_eq!(
            plan_shipment(
                ShipPolicy::Complete,
                0,
                &ready([S::Ready, S::Cancelled]),
                None
            ),
            Ok(vec![0])
        );
    }

    #[test]
    fn eta_news_compares_by_utc_calendar_day() {
        let day = 86_400_000;
        assert_eq!(eta_news(None, 5 * day), EtaNews::Known);
        assert_eq!(eta_news(Some(5 * day), 5 * day + 1000), EtaNews::Unchanged);
        assert_eq!(eta_news(Some(5 * day), 7 * day), EtaNews::Changed);
        // One millisecond apart, either side of midnight: another day.
        assert_eq!(eta_news(Some(6 * day - 1), 6 * day), EtaNews::Changed);
        // Before the epoch too.
        assert_eq!(eta_news(Some(-1), -day + 1), EtaNews::Unchanged);
    }

    #[test]
    fn a_parcel_limit_ships_as_available_until_the_last_parcel() {
        let policy = ShipPolicy::UpToShipments(2);
        let lines = [S::Ready, S::Backordered, S::Ready];
        assert_eq!(
            plan_shipment(policy, 0, &ready(lines), None),
            Ok(vec![0, 2])
        );
        assert_eq!(
            plan_shipment(policy, 1, &ready(lines), None),
            Err(ShipRefusal::LastParcelWaiting(2))
        );
        let rest = [S::Shipped, S::Ready, S::Ready];
        assert_eq!(plan_shipment(policy, 1, &ready(rest), None), Ok(vec![1, 2]));
        assert_eq!(
            plan_shipment(policy, 1, &ready(rest), Some(&[1])),
            Err(ShipRefusal::LastParcelTakesAll(2, vec![2]))
        );
        assert_eq!(
            plan_shipment(policy, 2, &ready(rest), None),
            Err(ShipRefusal::ShipmentLimitReached(2))
        );
    }

    #[test]
    fn one_parcel_means_complete() {
        let policy = ShipPolicy::UpToShipments(1);
        assert_eq!(
            plan_shipment(policy, 0, &ready([S::Ready, S::Backordered]), None),
            Err(ShipRefusal::LastParcelWaiting(1))
        );
        assert_eq!(
            plan_shipment(policy, 0, &ready([S::Ready, S::Cancelled, S::Ready]), None),
            Ok(vec![0, 2])
        );
    }

    #[test]
    fn the_reserved_part_of_a_waiting_line_ships_only_while_parcels_are_not_counted() {
        let part = Shippable {
            status: S::Backordered,
            part_ready: true,
        };
        let lines = [part, Shippable::ready(S::Backordered)];
        assert_eq!(
            plan_shipment(ShipPolicy::AsAvailable, 0, &lines, None),
            Ok(vec![0])
        );
        assert_eq!(
            plan_shipment(ShipPolicy::UpToShipments(3), 1, &lines, Some(&[0])),
            Ok(vec![0])
        );
        assert_eq!(
            plan_shipment(ShipPolicy::AsAvailable, 0, &lines, Some(&[1])),
            Err(ShipRefusal::LineNotReady(1, S::Backordered))
        );
        assert_eq!(
            plan_shipment(ShipPolicy::Complete, 0, &lines, None),
            Err(ShipRefusal::WaitingForCompletion)
        );
        assert_eq!(
            plan_shipment(ShipPolicy::UpToShipments(2), 1, &lines, None),
            Err(ShipRefusal::LastParcelWaiting(2))
        );
    }
}
