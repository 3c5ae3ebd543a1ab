//! Stored rows read into the domain's types. A row whose status code or id
//! does not parse is corrupt: reading it is an error (`INTERNAL`, logged),
//! never a guess.

use backorder_platform::ServiceError;
use backorder_platform::warehouse::WarehouseCode;
use uuid::Uuid;

use super::{customer_order, order_line, order_line_stock, shipment};
use crate::domain::charging::{ChargeAt, LinePayment, PaymentState};
use crate::domain::{
    Line, LineStatus, Order, OrderStatus, Origin, ShipPolicy, Shipment, ShipmentStatus,
    UnitsByWarehouse,
};

/// A stored row the domain cannot read.
#[derive(Debug, thiserror::Error)]
#[error("corrupt {table} row {id}: {problem}")]
pub struct CorruptRow {
    /// Table.
    pub table: &'static str,
    /// Row id as stored.
    pub id: String,
    /// What does not parse.
    pub problem: String,
}

impl From<CorruptRow> for ServiceError {
    fn from(error: CorruptRow) -> Self {
        ServiceError::Internal(error.to_string())
    }
}

struct Reader<'a> {
    table: &'static str,
    id: &'a str,
}

impl Reader<'_> {
    fn fail(&self, problem: impl ToString) -> CorruptRow {
        CorruptRow {
            table: self.table,
            id: self.id.to_owned(),
            problem: problem.to_string(),
        }
    }

    fn uuid(&self, field: &str, value: &str) -> Result<Uuid, CorruptRow> {
        Uuid::try_parse(value).map_err(|_| self.fail(format!("{field} {value:?} is not a UUID")))
    }

    fn optional_uuid(&self, field: &str, value: Option<&str>) -> Result<Option<Uuid>, CorruptRow> {
        value
            .filter(|v| !v.is_empty())
            .map(|v| self.uuid(field, v))
            .transpose()
    }
}

impl TryFrom<customer_order::Model> for Order {
    type Error = CorruptRow;

    fn try_from(row: customer_order::Model) -> Result<Self, Self::Error> {
        let r = Reader {
            table: "customer_order",
            id: &row.id,
        };
        Ok(Order {
            id: r.uuid("id", &row.id)?,
            request_id: r.uuid("request_id", &row.request_id)?,
            customer_id: r.uuid("customer_id", &row.customer_id)?,
            status: OrderStatus::try_from(row.status).map_err(|e| r.fail(e))?,
            accept_backorders: row.accept_backorders,
            ship_policy: ShipPolicy::from_parts(row.ship_policy, row.max_shipments)
                .map_err(|e| r.fail(e))?,
            ship_to_address: row.ship_to_address,
            trace_context: row.trace_context,
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }
}

impl TryFrom<order_line::Model> for Line {
    type Error = CorruptRow;

    fn try_from(row: order_line::Model) -> Result<Self, Self::Error> {
        let r = Reader {
            table: "order_line",
            id: &row.id,
        };
        let payment = match (row.charge_at, row.payment_state) {
            (Some(charge_at), Some(state)) => Some(LinePayment {
                charge_at: ChargeAt::try_from(charge_at).map_err(|e| r.fail(e))?,
                state: PaymentState::try_from(state).map_err(|e| r.fail(e))?,
                amount_minor: row.payment_amount_minor.unwrap_or_default(),
                reference: row.payment_reference.unwrap_or_default(),
                updated_at: row.payment_updated_at.unwrap_or_default(),
            }),
            _ => None,
        };
        Ok(Line {
            id: r.uuid("id", &row.id)?,
            order_id: r.uuid("order_id", &row.order_id)?,
            line_no: row.line_no,
            status: LineStatus::try_from(row.status).map_err(|e| r.fail(e))?,
            purchase_order_id: r
                .optional_uuid("purchase_order_id", row.purchase_order_id.as_deref())?,
            shipment_id: r.optional_uuid("shipment_id", row.shipment_id.as_deref())?,
            sku: row.sku,
            quantity: row.quantity,
            reserved_quantity: row.reserved_quantity,
            backordered_quantity: row.backordered_quantity,
            eta: row.eta,
            eta_latest: row.eta_latest,
            shipped_quantity: row.shipped_quantity,
            ready_quantity: row.ready_quantity,
            // Read with the line's parts (`Line::settle`).
            ready_in: UnitsByWarehouse::new(),
            drop_ship: row.drop_ship,
            unit_price_minor: row.unit_price_minor,
            payment,
        })
    }
}

impl TryFrom<shipment::Model> for Shipment {
    type Error = CorruptRow;

    fn try_from(row: shipment::Model) -> Result<Self, Self::Error> {
        let r = Reader {
            table: "shipment",
            id: &row.id,
        };
        let origin = if row.drop_ship {
            let purchase_order_id = row.purchase_order_id.as_deref().unwrap_or_default();
            Origin::Supplier {
                purchase_order_id: r.uuid("purchase_order_id", purchase_order_id)?,
            }
        } else {
            Origin::Warehouse(WarehouseCode::stored(row.warehouse))
        };
        Ok(Shipment {
            id: r.uuid("id", &row.id)?,
            order_id: r.uuid("order_id", &row.order_id)?,
            status: ShipmentStatus::try_from(row.status).map_err(|e| r.fail(e))?,
            tracking_number: row.tracking_number,
            carrier: row.carrier,
            shipped_at: row.shipped_at,
            delivered_at: row.delivered_at,
            bundle_id: r.optional_uuid("bundle_id", row.bundle_id.as_deref())?,
            // Read with the shipment's items, when asked for.
            items: Vec::new(),
            origin,
        })
    }
}

/// Ready units of one line in one warehouse, as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LinePart {
    /// The line.
    pub line_id: Uuid,
    /// The warehouse.
    pub warehouse: WarehouseCode,
    /// Units there.
    pub units: i64,
}

impl TryFrom<order_line_stock::Model> for LinePart {
    type Error = CorruptRow;

    fn try_from(row: order_line_stock::Model) -> Result<Self, Self::Error> {
        let r = Reader {
            table: "order_line_stock",
            id: &row.line_id,
        };
        if row.quantity < 1 {
            return Err(r.fail(format!(
                "{} units in warehouse {:?}; a part holds at least 1",
                row.quantity, row.warehouse
            )));
        }
        Ok(LinePart {
            line_id: r.uuid("line_id", &row.line_id)?,
            warehouse: WarehouseCode::stored(row.warehouse),
            units: row.quantity,
        })
    }
}

/// Reads every row, failing on the first corrupt one.
pub fn read_all<R, T>(rows: Vec<R>) -> Result<Vec<T>, CorruptRow>
where
    T: TryFrom<R, Error = CorruptRow>,
{
    rows.into_iter().map(T::try_from).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line_row(status: i32) -> order_line::Model {
        order_line::Model {
            id: Uuid::now_v7().to_string(),
            order_id: Uuid::now_v7().to_string(),
            line_no: 0,
            sku: "A".to_owned(),
            quantity: 1,
            reserved_quantity: 1,
            backordered_quantity: 0,
            status,
            eta: None,
            eta_latest: None,
            purchase_order_id: None,
            shipment_id: Some(String::new()),
            shipped_quantity: 0,
            ready_quantity: 1,
            drop_ship: false,
            unit_price_minor: 0,
            charge_at: None,
            payment_state: None,
            payment_amount_minor: None,
            payment_reference: None,
            payment_updated_at: None,
            updated_at: 0,
        }
    }

    #[test]
    fn a_line_with_an_unknown_status_is_corrupt_not_pending() {
        let read = Line::try_from(line_row(3)).expect("a ready line");
        assert_eq!(read.status, LineStatus::Ready);
        assert_eq!(read.shipment_id, None);
        let error = Line::try_from(line_row(42)).expect_err("corrupt");
        assert_eq!(error.table, "order_line");
        assert!(error.problem.contains("42"), "{error}");
        let status = ServiceError::from(error).code();
        assert_eq!(status, tonic::Code::Internal);
    }
}
