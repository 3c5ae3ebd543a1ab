//! CreateWarehouse and ListWarehouses.

use backorder_platform::paging::PageRequest;
use backorder_platform::time::now_ms;
use backorder_platform::unit_of_work::Work;
use backorder_platform::{ServiceError, ServiceResult};
use backorder_proto::inventory::v1 as pb;

use super::InventoryApi;
use crate::convert::{self, NewWarehouse, WarehouseKey};
use crate::domain::Warehouse;
use crate::store::queries;

impl InventoryApi {
    /// The `CreateWarehouse` RPC.
    pub async fn create_warehouse(
        &self,
        req: pb::CreateWarehouseRequest,
    ) -> ServiceResult<pb::CreateWarehouseResponse> {
        let new = NewWarehouse::try_from(&req)?;
        self.context
            .execute(&req, move |work| Box::pin(create(work, new)))
            .await
    }

    /// The `ListWarehouses` RPC.
    pub async fn list_warehouses(
        &self,
        req: pb::ListWarehousesRequest,
    ) -> ServiceResult<pb::ListWarehousesResponse> {
        let page = PageRequest::parse(req.page_size, &req.page_token)?;
        let after = match &page.after {
            Some(text) => Some(WarehouseKey::decode(text).ok_or_else(|| {
                ServiceError::invalid(
                    "page_token",
                    "is not a token ListWarehouses returned; start again with an empty one",
                )
            })?),
            None => None,
        };
        let rows = queries::list_warehouses(
            &self.context.db,
            after.as_ref().map(|k| (k.rank, k.code.as_str())),
            page.fetch_limit(),
        )
        .await?;
        let (rows, next_page_token) = page.finish(rows, |w| WarehouseKey::encode(w.rank, &w.code));
        Ok(pb::ListWarehousesResponse {
            warehouses: rows.iter().map(convert::warehouse).collect(),
            next_page_token,
        })
    }
}

async fn create(work: &Work, new: NewWarehouse) -> ServiceResult<pb::CreateWarehouseResponse> {
    work.set_resource(new.code.to_string());
    if queries::find_warehouse(work.db(), &new.code)
        .await?
        .is_some()
    {
        return Err(ServiceError::AlreadyExists {
            reason: "WAREHOUSE_EXISTS",
            message: format!("warehouse {} already exists", new.code),
        });
    }
    let warehouse = Warehouse {
        code: new.code,
        name: new.name,
        rank: new.rank,
        created_at: now_ms(),
    };
    queries::insert_warehouse(work.db(), &warehouse).await?;
    Ok(pb::CreateWarehouseResponse {
        warehouse: Some(convert::warehouse(&warehouse)),
    })
}
