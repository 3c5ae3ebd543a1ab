//! The line state machine, the order status derived from its lines, what a
//! ship policy allows a parcel to take and from which warehouse, and
//! whether an ETA is news to the customer.

use backorder_platform::warehouse::WarehouseCode;
use chrono::{DateTime, NaiveDate};

use super::model::Line;
use super::status::{LineStatus, OrderStatus, ShipPolicy};
use super::warehouses::{UnitsByWarehouse, choose_warehouse};

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
    /// The supplier shipped what was left of a drop-ship line.
    DropShipped,
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

        // A drop-ship line waits for the supplier, never for stock: it is
        // never ready, and goes from waiting straight to shipped.
        (S::Backordered, E::DropShipped) => Move::To(S::Shipped),
        (S::Pending, E::DropShipped) => Move::NotYet,
        (S::Shipped | S::Delivered | S::Cancelled, E::DropShipped) => Move::Ignore,
        (S::Ready, E::DropShipped) => Move::Illegal,

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
    /// No line the parcel may take holds ready units in its warehouse.
    NothingInWarehouse(WarehouseCode),
    /// A named line is not ready (index into the order's lines, status).
    LineNotReady(usize, LineStatus),
    /// Named lines hold no ready unit in the parcel's warehouse (indices).
    NotInWarehouse(WarehouseCode, Vec<usize>),
    /// Named lines are drop-shipped: the supplier ships them (indices).
    LineDropShipped(Vec<usize>),
    /// Ship-complete and some open line still waits.
    WaitingForCompletion,
    /// The order's last allowed parcel waits until every open line is
    /// ready (the parcel limit).
    LastParcelWaiting(u32),
    /// A parcel of the order's final dispatch must take every ready line
    /// holding units in its warehouse; these were left out (indices).
    LastParcelTakesAll(u32, Vec<usize>),
    /// Every allowed parcel has shipped and some line still waits (the
    /// limit).
    ShipmentLimitReached(u32),
}

/// What the planner needs of a line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shippable<'a> {
    /// Its status.
    pub status: LineStatus,
    /// Where its ready units are. A backordered line holding some may
    /// send them ahead of the rest.
    pub ready_in: &'a UnitsByWarehouse,
    /// Whether the supplier ships it: then it is none of the parcels'.
    pub drop_ship: bool,
}

impl<'a> From<&'a Line> for Shippable<'a> {
    fn from(line: &'a Line) -> Self {
        Self {
            status: line.status,
            ready_in: &line.ready_in,
            drop_ship: line.drop_ship,
        }
    }
}

impl Shippable<'_> {
    fn may_ship(&self) -> bool {
        !self.drop_ship
            && (self.status == LineStatus::Ready
                || (self.status == LineStatus::Backordered && !self.ready_in.is_empty()))
    }

    /// Whether the line is still to come from the merchant's stock, which
    /// is what ship-complete and the last parcel of a limit wait for.
    fn waits(&self) -> bool {
        !self.drop_ship && matches!(self.status, LineStatus::Pending | LineStatus::Backordered)
    }

    fn holds(&self, warehouse: &WarehouseCode) -> bool {
        self.ready_in.units_in(warehouse) > 0
    }
}

/// What an order's ship policy lets its next parcel take, before the
/// parcel's warehouse is known.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Dispatch {
    /// The parcel limit, when this parcel belongs to the order's final
    /// dispatch.
    final_of: Option<u32>,
    /// Lines that may ship now (indices).
    ready: Vec<usize>,
    /// The lines named, every one of which may ship.
    named: Option<Vec<usize>>,
}

/// A parcel: where it leaves from and the lines it takes (indices).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParcelPlan {
    /// The warehouse it leaves from.
    pub warehouse: WarehouseCode,
    /// The lines whose units there it carries.
    pub lines: Vec<usize>,
}

/// The lines the order's next parcel may take by its `policy` and the
/// parcels it has already had from its warehouses (`shipped_parcels`, drop
/// shipments not counted): the `named` ones (indices into `lines`), or
/// every line with units that may ship. See [`plan_shipment`] for the rule.
pub fn dispatch(
    policy: ShipPolicy,
    shipped_parcels: u32,
    lines: &[Shippable],
    named: Option<&[usize]>,
) -> Result<Dispatch, ShipRefusal> {
    // Checked before the policy: no state of the order would let these go.
    if let Some(indices) = named {
        let dropped: Vec<usize> = indices
            .iter()
            .copied()
            .filter(|i| lines.get(*i).is_some_and(|l| l.drop_ship))
            .collect();
        if !dropped.is_empty() {
            return Err(ShipRefusal::LineDropShipped(dropped));
        }
    }
    let waiting = lines.iter().any(Shippable::waits);
    let final_of = match policy {
        ShipPolicy::AsAvailable => None,
        ShipPolicy::Complete if waiting => return Err(ShipRefusal::WaitingForCompletion),
        ShipPolicy::Complete => None,
        ShipPolicy::UpToShipments(n) if shipped_parcels >= n && waiting => {
            return Err(ShipRefusal::ShipmentLimitReached(n));
        }
        ShipPolicy::UpToShipments(n) if shipped_parcels.saturating_add(1) >= n => {
            if waiting {
                return Err(ShipRefusal::LastParcelWaiting(n));
            }
            Some(n)
        }
        ShipPolicy::UpToShipments(_) => None,
    };
    let ready: Vec<usize> = lines
        .iter()
        .enumerate()
        .filter(|(_, l)| l.may_ship())
        .map(|(i, _)| i)
        .collect();
    if let Some(indices) = named {
        for &i in indices {
            match lines.get(i) {
                Some(line) if line.may_ship() => {}
                Some(line) => return Err(ShipRefusal::LineNotReady(i, line.status)),
                None => return Err(ShipRefusal::NothingReady),
            }
        }
    }
    Ok(Dispatch {
        final_of,
        ready,
        named: named.map(<[usize]>::to_vec),
    })
}

impl Dispatch {
    /// The lines the parcel may take, wherever their units are.
    pub fn candidates(&self) -> &[usize] {
        self.named.as_deref().unwrap_or(&self.ready)
    }

    /// The lines that give the parcel leaving `warehouse` the units they
    /// hold there.
    pub fn take_from(
        &self,
        lines: &[Shippable],
        warehouse: &WarehouseCode,
    ) -> Result<Vec<usize>, ShipRefusal> {
        let holds = |i: &usize| lines.get(*i).is_some_and(|l| l.holds(warehouse));
        let chosen: Vec<usize> = match &self.named {
            Some(named) => {
                let missing: Vec<usize> = named.iter().copied().filter(|i| !holds(i)).collect();
                if !missing.is_empty() {
                    return Err(ShipRefusal::NotInWarehouse(warehouse.clone(), missing));
                }
                if let Some(n) = self.final_of {
                    let left_out: Vec<usize> = self
                        .ready
                        .iter()
                        .copied()
                        .filter(|i| holds(i) && !named.contains(i))
                        .collect();
                    if !left_out.is_empty() {
                        return Err(ShipRefusal::LastParcelTakesAll(n, left_out));
                    }
                }
                named.clone()
            }
            None => self.ready.iter().copied().filter(holds).collect(),
        };
        match (chosen.is_empty(), self.candidates().is_empty()) {
            (false, _) => Ok(chosen),
            (true, true) => Err(ShipRefusal::NothingReady),
            (true, false) => Err(ShipRefusal::NothingInWarehouse(warehouse.clone())),
        }
    }
}

/// Chooses a parcel's warehouse and lines: the named lines (indices into
/// `lines`), or every line with units that may ship when none are named,
/// by the order's `policy` and the parcels it has already had from its
/// warehouses (`shipped_parcels`).
///
/// A parcel leaves from one warehouse: `warehouse` when given, else the
/// one holding the most ready units of the lines it may take (ties by
/// code, ascending). Each line gives it every unit it holds there and
/// keeps the rest ready for another parcel; a named line holding none
/// there is refused, an unnamed one is left for later. A line has shipped
/// once all it ordered has, so a ready line split across warehouses stays
/// ready after its first parcel.
///
/// The reserved part of a line still waiting for the rest ships ahead of
/// it only when parcels are not limited by the policy at that point: as
/// available, or up to n while more than one parcel is left.
///
/// The rule for a parcel limit of n: while more than one parcel is left,
/// lines ship as available. The last allowed parcel waits until every
/// open line is ready and starts the order's final dispatch, which acts
/// as ship-complete for what is left: one parcel per warehouse holding
/// some of it, each taking every ready line with units in its warehouse.
/// Once nothing waits, the limit does not refuse those parcels; it refuses
/// only while a line still waits. So an order kept in one warehouse never
/// needs an (n+1)th parcel, one split across k warehouses at the end needs
/// n-1+k at most, and a customer who asked for few parcels gets early
/// units early only while that costs no extra one.
///
/// Drop-ship lines are none of this: the supplier ships them straight to
/// the customer, and their shipment is recorded when it confirms. A parcel
/// never takes one (naming one is refused), and the policy looks past
/// them: ship-complete waits for every other open line only, so does the
/// last parcel of a limit, and drop shipments are not counted among the
/// order's parcels (`shipped_parcels` leaves them out). The merchant's own
/// lines never wait on a supplier's delivery they do not control.
pub fn plan_shipment(
    policy: ShipPolicy,
    shipped_parcels: u32,
    lines: &[Shippable],
    named: Option<&[usize]>,
    warehouse: Option<&WarehouseCode>,
) -> Result<ParcelPlan, ShipRefusal> {
    let dispatch = dispatch(policy, shipped_parcels, lines, named)?;
    let warehouse = match warehouse {
        Some(warehouse) => warehouse.clone(),
        None => choose_warehouse(
            dispatch
                .candidates()
                .iter()
                .filter_map(|i| lines.get(*i))
                .map(|l| l.ready_in),
        )
        .ok_or(ShipRefusal::NothingReady)?,
    };
    let chosen = dispatch.take_from(lines, &warehouse)?;
    Ok(ParcelPlan {
        warehouse,
        lines: chosen,
    })
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

/// Compares a line's stored promise (earliest and latest date; the latest
/// unset on lines promised before promises were ranges) with a new one
/// (Unix ms). Dates compare by UTC calendar day, so re-sending the same
/// promised dates never tells the customer twice.
pub fn eta_news(previous: (Option<i64>, Option<i64>), new: (i64, i64)) -> EtaNews {
    let (Some(old), old_latest) = previous else {
        return EtaNews::Known;
    };
    let old_latest = old_latest.unwrap_or(old);
    if utc_day(old) == utc_day(new.0) && utc_day(old_latest) == utc_day(new.1) {
        EtaNews::Unchanged
    } else {
        EtaNews::Changed
    }
}

#[cfg(test)]
mod tests;
