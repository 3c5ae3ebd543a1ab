//! Drafts, the open purchase orders demand is put on: a supplier's stock
//! draft (one per supplier) and its drop-ship drafts (one per customer
//! order, addressed to the customer). A unit first plans every draft it
//! needs, then locks them all in [`DraftKey`] order before it locks any
//! demand row, so two units never wait on each other's drafts.

use std::collections::BTreeMap;

use backorder_platform::ids::new_id_string;
use backorder_platform::{ServiceError, ServiceResult};
use sea_orm::{DatabaseTransaction, DbErr};
use uuid::Uuid;

use super::concurrent_update;
use crate::domain::{self, PoStatus};
use crate::store::queries::{purchase_orders, suppliers};
use crate::store::{Address, demand, purchase_order, stored_id};

/// How often opening a draft re-reads after losing an insert race (each
/// retry follows a commit by someone else, so a handful is plenty).
const ATTEMPTS: usize = 5;

/// Which draft. The derived order is the lock order: stock drafts by
/// supplier id, then drop-ship drafts by supplier and order id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum DraftKey {
    /// A supplier's draft for stock.
    Stock(Uuid),
    /// A supplier's drop-ship draft for one customer order.
    DropShip {
        /// The supplier.
        supplier_id: Uuid,
        /// The customer order.
        order_id: Uuid,
    },
}

impl DraftKey {
    /// The draft of `supplier_id` that `demand` goes on.
    pub fn for_demand(supplier_id: Uuid, demand: &demand::Model) -> ServiceResult<Self> {
        if demand.drop_ship {
            Ok(Self::DropShip {
                supplier_id,
                order_id: stored_id(&demand.order_id)?,
            })
        } else {
            Ok(Self::Stock(supplier_id))
        }
    }

    fn supplier_id(self) -> Uuid {
        match self {
            Self::Stock(supplier_id) | Self::DropShip { supplier_id, .. } => supplier_id,
        }
    }
}

/// A draft locked by this unit, with what its ETAs need.
pub struct Draft {
    /// The draft.
    pub po: purchase_order::Model,
    /// Its supplier's lead time.
    pub lead_time_days: i32,
}

impl Draft {
    /// When demand put on this draft now is expected: its expected date, or
    /// the date a delay moved it to when later.
    pub fn eta(&self, now: i64) -> ServiceResult<i64> {
        let expected = domain::eta(
            self.po.promised_at,
            self.po.submitted_at.unwrap_or(now),
            self.lead_time_days,
        );
        domain::latest(expected, self.po.delayed_until).ok_or_else(|| {
            ServiceError::Internal(format!(
                "supplier {} has a lead time ({} days) past the calendar",
                self.po.supplier_id, self.lead_time_days
            ))
        })
    }
}

/// What a unit needs of one draft.
enum Need {
    /// Lock it if it exists.
    Existing,
    /// Lock it, opening it when missing (a drop-ship one addressed to
    /// `ship_to`).
    Open { ship_to: Option<Address> },
}

/// The drafts a unit is about to lock.
#[derive(Default)]
pub struct DraftPlan(BTreeMap<DraftKey, Need>);

impl DraftPlan {
    /// The supplier's stock draft, locked only if it exists.
    pub fn existing_stock(&mut self, supplier_id: Uuid) {
        self.0
            .entry(DraftKey::Stock(supplier_id))
            .or_insert(Need::Existing);
    }

    /// The draft of `supplier_id` that `demand` goes on, opened when
    /// missing; a drop-ship draft is addressed to where `demand` goes (the
    /// first demand's address, when demands of one order disagree).
    pub fn open_for(&mut self, supplier_id: Uuid, demand: &demand::Model) -> ServiceResult<()> {
        let key = DraftKey::for_demand(supplier_id, demand)?;
        if matches!(self.0.get(&key), Some(Need::Open { .. })) {
            return Ok(());
        }
        let ship_to = if demand.drop_ship {
            let address = demand.ship_to_address.clone().ok_or_else(|| {
                ServiceError::Internal(format!(
                    "drop-ship demand {} has no delivery address to open a purchase order with",
                    demand.id
                ))
            })?;
            Some(address)
        } else {
            None
        };
        self.0.insert(key, Need::Open { ship_to });
        Ok(())
    }

    /// Locks every planned draft in key order, opening those planned open.
    pub async fn lock(self, db: &DatabaseTransaction, now: i64) -> ServiceResult<Drafts> {
        let mut drafts = BTreeMap::new();
        for (key, need) in self.0 {
            let supplier_id = key.supplier_id();
            let supplier = suppliers::find(db, supplier_id).await?.ok_or_else(|| {
                ServiceError::Internal(format!("supplier {supplier_id} of an offer is missing"))
            })?;
            let po = match need {
                Need::Existing => lock_existing(db, key).await?,
                Need::Open { ship_to } => Some(open(db, key, ship_to, now).await?),
            };
            if let Some(po) = po {
                let lead_time_days = supplier.lead_time_days;
                drafts.insert(key, Draft { po, lead_time_days });
            }
        }
        Ok(Drafts(drafts))
    }
}

/// The drafts a unit locked.
pub struct Drafts(BTreeMap<DraftKey, Draft>);

impl Drafts {
    /// The locked draft `key`, if it was planned (and exists).
    pub fn get(&self, key: &DraftKey) -> Option<&Draft> {
        self.0.get(key)
    }
}

/// `demand` as carried by `po`: a drop-ship demand on a purchase order
/// keeps no address of its own, so moving it on takes the purchase order's.
pub fn with_address_of(mut demand: demand::Model, po: &purchase_order::Model) -> demand::Model {
    if demand.drop_ship && demand.ship_to_address.is_none() {
        demand.ship_to_address = po.ship_to_address.clone();
    }
    demand
}

async fn lock_existing(
    db: &DatabaseTransaction,
    key: DraftKey,
) -> Result<Option<purchase_order::Model>, DbErr> {
    match key {
        DraftKey::Stock(supplier_id) => purchase_orders::lock_stock_draft(db, supplier_id).await,
        DraftKey::DropShip {
            supplier_id,
            order_id,
        } => purchase_orders::lock_drop_ship_draft(db, supplier_id, order_id).await,
    }
}

/// The draft `key`, locked; a new one when there is none. Two units
/// opening the same draft at once end with one: the second insert waits
/// for the first, skips, and locks the first's draft.
async fn open(
    db: &DatabaseTransaction,
    key: DraftKey,
    ship_to: Option<Address>,
    now: i64,
) -> ServiceResult<purchase_order::Model> {
    let order_id = match key {
        DraftKey::Stock(_) => None,
        DraftKey::DropShip { order_id, .. } => Some(order_id.to_string()),
    };
    for _ in 0..ATTEMPTS {
        if let Some(draft) = lock_existing(db, key).await? {
            return Ok(draft);
        }
        let draft = purchase_order::Model {
            id: new_id_string(),
            supplier_id: key.supplier_id().to_string(),
            status: PoStatus::Draft.code(),
            promised_at: None,
            submitted_at: None,
            received_at: None,
            drop_ship: order_id.is_some(),
            order_id: order_id.clone(),
            ship_to_address: ship_to.clone(),
            carrier: None,
            tracking_number: None,
            delayed_until: None,
            created_at: now,
            updated_at: now,
        };
        if purchase_orders::insert_draft_if_absent(db, draft.clone()).await? {
            return Ok(draft);
        }
    }
    Err(concurrent_update(match key {
        DraftKey::Stock(supplier_id) => {
            format!("the draft of supplier {supplier_id} kept changing; retry")
        }
        DraftKey::DropShip {
            supplier_id,
            order_id,
        } => format!(
            "the drop-ship draft of supplier {supplier_id} for order {order_id} kept changing; retry"
        ),
    }))
}
