//! Suppliers: CreateSupplier, GetSupplier, ListSuppliers,
//! GetSupplierPerformance.

use backorder_platform::ids::new_id_string;
use backorder_platform::paging::PageRequest;
use backorder_platform::time::now_ms;
use backorder_platform::{ServiceError, ServiceResult};
use backorder_proto::procurement::v1 as pb;
use uuid::Uuid;

use super::ProcurementApi;
use crate::convert;
use crate::domain::{self, NewSupplier};
use crate::store::queries::{purchase_orders, suppliers};
use crate::store::supplier;

fn supplier_not_found(id: Uuid) -> ServiceError {
    ServiceError::not_found("supplier", id.to_string())
}

impl ProcurementApi {
    /// The `CreateSupplier` RPC.
    pub async fn create_supplier(
        &self,
        req: pb::CreateSupplierRequest,
    ) -> ServiceResult<pb::CreateSupplierResponse> {
        let new = NewSupplier::try_from(&req)?;
        self.context
            .execute(&req, move |work| {
                Box::pin(async move {
                    let model = supplier::Model {
                        id: new_id_string(),
                        name: new.name,
                        lead_time_days: new.lead_time_days,
                        auto_submit_hours: 0,
                        created_at: now_ms(),
                    };
                    suppliers::insert(work.db(), model.clone()).await?;
                    work.set_resource(model.id.clone());
                    Ok(pb::CreateSupplierResponse {
                        supplier: Some(convert::supplier(&model, &[])),
                    })
                })
            })
            .await
    }

    /// The `GetSupplier` RPC.
    pub async fn get_supplier(
        &self,
        req: pb::GetSupplierRequest,
    ) -> ServiceResult<pb::GetSupplierResponse> {
        let id = convert::parse_id("supplier_id", &req.supplier_id)?;
        let db = &self.context.db;
        let supplier = suppliers::find(db, id)
            .await?
            .ok_or_else(|| supplier_not_found(id))?;
        let items = suppliers::items_of(db, vec![supplier.id.clone()]).await?;
        Ok(pb::GetSupplierResponse {
            supplier: Some(convert::supplier(&supplier, &items)),
        })
    }

    /// The `ListSuppliers` RPC.
    pub async fn list_suppliers(
        &self,
        req: pb::ListSuppliersRequest,
    ) -> ServiceResult<pb::ListSuppliersResponse> {
        let page = PageRequest::parse(req.page_size, &req.page_token)?;
        let db = &self.context.db;
        let rows = suppliers::list(db, page.after.as_deref(), page.fetch_limit()).await?;
        let (rows, next_page_token) = page.finish(rows, |s| s.id.clone());
        let items = suppliers::items_of(db, rows.iter().map(|s| s.id.clone()).collect()).await?;
        Ok(pb::ListSuppliersResponse {
            suppliers: convert::suppliers(&rows, &items),
            next_page_token,
        })
    }

    /// The `GetSupplierPerformance` RPC.
    pub async fn get_supplier_performance(
        &self,
        req: pb::GetSupplierPerformanceRequest,
    ) -> ServiceResult<pb::GetSupplierPerformanceResponse> {
        let id = convert::parse_id("supplier_id", &req.supplier_id)?;
        let db = &self.context.db;
        let supplier = suppliers::find(db, id)
            .await?
            .ok_or_else(|| supplier_not_found(id))?;
        let received: Vec<domain::ReceivedPo> = purchase_orders::received_of_supplier(db, id)
            .await?
            .into_iter()
            .filter_map(|po| {
                Some(domain::ReceivedPo {
                    submitted_at: po.submitted_at?,
                    promised_at: po.promised_at,
                    received_at: po.received_at?,
                })
            })
            .collect();
        let performance = domain::supplier_performance(&received);
        Ok(pb::GetSupplierPerformanceResponse {
            supplier_id: supplier.id,
            lead_time_days: supplier.lead_time_days,
            purchase_orders_received: performance.received,
            purchase_orders_promised: performance.promised,
            received_on_time: performance.on_time,
            on_time_rate_percent: performance.on_time_rate_percent,
            average_days_to_receive: performance.average_days_to_receive,
        })
    }
}
