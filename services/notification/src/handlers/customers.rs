//! `UpsertCustomer` and `GetCustomer`: the only personal data the service
//! keeps.

use backorder_platform::ids::parse_uuid;
use backorder_platform::time::now_ms;
use backorder_platform::{ServiceError, ServiceResult};
use backorder_proto::notification::v1 as pb;

use super::NotificationApi;
use crate::convert;
use crate::domain::CustomerDetails;
use crate::store::{customer, queries};

impl NotificationApi {
    /// The `UpsertCustomer` RPC.
    pub async fn upsert_customer(
        &self,
        req: pb::UpsertCustomerRequest,
    ) -> ServiceResult<pb::UpsertCustomerResponse> {
        let details = CustomerDetails::try_from(&req)?;
        self.context
            .execute(&req, move |work| {
                Box::pin(async move {
                    let stored = customer::Model::new(&details, now_ms());
                    queries::upsert_customer(work.db(), stored.clone()).await?;
                    work.set_resource(stored.id.clone());
                    Ok(pb::UpsertCustomerResponse {
                        customer: Some(convert::customer_to_proto(&stored)?),
                    })
                })
            })
            .await
    }

    /// The `GetCustomer` RPC.
    pub async fn get_customer(
        &self,
        req: pb::GetCustomerRequest,
    ) -> ServiceResult<pb::GetCustomerResponse> {
        let id = parse_uuid("customer_id", &req.customer_id)?;
        let customer = queries::find_customer(&self.context.db, id)
            .await?
            .ok_or_else(|| ServiceError::not_found("customer", &req.customer_id))?;
        Ok(pb::GetCustomerResponse {
            customer: Some(convert::customer_to_proto(&customer)?),
        })
    }
}
