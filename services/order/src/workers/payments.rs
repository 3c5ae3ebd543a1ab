//! The payment worker: sends every queued payment request to the
//! merchant's payment endpoint and records its answer.
//!
//! Its queue is the `payment_request` table: a request is committed with
//! the change that needs it, so a stop loses nothing. Several replicas may
//! run: each request is claimed first by a guarded update (a lease of
//! twice the call timeout: a replica that dies mid-call leaves it due
//! again then), and the answer is recorded only under a claim that still
//! stands. Sending is at least once, with the request id as the
//! `Idempotency-Key`, so the endpoint answers a repeat as it answered the
//! first.
//!
//! **The request.** `POST <payments.endpoint>`, signed as the platform
//! signs every webhook ([`backorder_platform::webhook`]), with the JSON
//! body [`RequestBody`].
//!
//! **The answer.** A 2xx with the JSON body
//! `{"outcome":"approved"|"declined","reference":"..."}` answers the
//! request (`reference` may be omitted). Anything else — no answer, another
//! status, a body that does not parse — is no answer: the request is tried
//! again with exponential backoff, for as long as it takes.

use backorder_platform::server::Shutdown;
use backorder_platform::telemetry::continue_stored_trace;
use backorder_platform::time::now_ms;
use backorder_platform::{ServiceError, ServiceResult};
use serde::{Deserialize, Serialize};
use tracing::Instrument;

use crate::domain::charging::Outcome;
use crate::handlers::OrderApi;
use crate::payments::PaymentEndpoint;
use crate::store::queries::{self, PaymentRequest};

/// Due requests read per round.
const BATCH: u64 = 50;

/// What the endpoint receives: ids, the SKU, amounts. No name, e-mail
/// address or phone number: the customer is named by id.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RequestBody {
    /// The request id, also the `Idempotency-Key`.
    pub request_id: String,
    /// `authorize`, `capture`, `refund` or `void`.
    pub action: &'static str,
    /// Order id.
    pub order_id: String,
    /// Line id.
    pub line_id: String,
    /// Customer id.
    pub customer_id: String,
    /// SKU of the line.
    pub sku: String,
    /// Units of the line.
    pub quantity: i64,
    /// Amount in the smallest currency unit.
    pub amount_minor: i64,
    /// The endpoint's reference of the line's previous approved answer
    /// (the authorisation a capture or void takes, the capture a refund
    /// gives back); empty for an authorisation.
    pub reference: String,
}

#[derive(Deserialize)]
struct AnswerBody {
    outcome: String,
    #[serde(default)]
    reference: String,
}

/// The decision in an answer; `Err` with the reason when the answer is
/// no answer (the request is tried again).
pub fn parse_answer(status: u16, body: &[u8]) -> Result<(Outcome, String), String> {
    if !(200..300).contains(&status) {
        return Err(format!("payment endpoint answered HTTP {status}"));
    }
    let answer: AnswerBody = serde_json::from_slice(body)
        .map_err(|e| format!("payment endpoint's answer is not the expected JSON: {e}"))?;
    let outcome = match answer.outcome.as_str() {
        "approved" => Outcome::Approved,
        "declined" => Outcome::Declined,
        other => return Err(format!("payment endpoint's outcome {other:?} is unknown")),
    };
    Ok((outcome, answer.reference))
}

/// Registers the worker with the service; it stops when the service does
/// (a call under way is abandoned, its request sent again after its
/// lease).
pub fn spawn(api: OrderApi, endpoint: PaymentEndpoint) {
    let context = api.context().clone();
    context.spawn_worker("payment worker", move |mut shutdown: Shutdown| async move {
        loop {
            tokio::select! {
                () = shutdown.wait() => break,
                round = send_due(&api, &endpoint) => if let Err(error) = round {
                    tracing::warn!(%error, "payment round failed");
                },
            }
            tokio::select! {
                () = shutdown.wait() => break,
                () = tokio::time::sleep(endpoint.poll) => {}
            }
        }
        tracing::debug!("payment worker stopped");
    });
}

/// Sends every request due now once; returns how many were answered.
pub async fn send_due(api: &OrderApi, endpoint: &PaymentEndpoint) -> ServiceResult<usize> {
    let db = &api.context().db;
    let mut answered = 0;
    for request in queries::due_requests(db, now_ms(), BATCH).await? {
        let until = now_ms().saturating_add(endpoint.lease_ms);
        if !queries::claim_request(db, &request, until).await? {
            continue;
        }
        let span = tracing::info_span!(
            "order.payment",
            otel.name = "payment request",
            order.id = %request.order_id,
            payment.request_id = %request.id,
            payment.action = request.action.name(),
        );
        continue_stored_trace(
            &span,
            request.trace_context.as_deref(),
            &tracing::Span::current(),
        );
        if attempt(api, endpoint, request, until)
            .instrument(span)
            .await?
        {
            answered += 1;
        }
    }
    Ok(answered)
}

/// One attempt at `request`, claimed until `until`: whether it was
/// answered.
async fn attempt(
    api: &OrderApi,
    endpoint: &PaymentEndpoint,
    request: PaymentRequest,
    until: i64,
) -> ServiceResult<bool> {
    let db = &api.context().db;
    let body = body_of(api, &request).await?;
    let body = serde_json::to_vec(&body)
        .map_err(|e| ServiceError::Internal(format!("encoding a payment request: {e}")))?;
    let timestamp = now_ms() / 1000;
    let reply = endpoint
        .poster
        .post(body, &request.id.to_string(), timestamp)
        .await;
    let http_status = reply.as_ref().ok().map(|r| r.status);
    let answer = reply.and_then(|reply| parse_answer(reply.status, &reply.body));
    let attempts = request.attempts.saturating_add(1);
    match answer {
        Ok((outcome, reference)) => {
            tracing::info!(
                attempts,
                http_status,
                outcome = outcome.name(),
                "payment answered"
            );
            let (id, order_id) = (request.id, request.order_id);
            let recorded = api
                .record_payment_answer(request, until, outcome, reference)
                .await?;
            if !recorded {
                tracing::warn!(
                    payment.request_id = %id,
                    order.id = %order_id,
                    "payment answer not recorded: the claim lapsed; it will be asked again"
                );
            }
            Ok(recorded)
        }
        Err(reason) => {
            let at = now_ms().saturating_add(endpoint.backoff.delay_ms(request.attempts));
            tracing::info!(attempts, http_status, %reason, "payment not answered; retrying");
            queries::record_retry(db, request.id, until, at, &reason).await?;
            Ok(false)
        }
    }
}

/// The body of `request`, from its order and line.
async fn body_of(api: &OrderApi, request: &PaymentRequest) -> ServiceResult<RequestBody> {
    let db = &api.context().db;
    let order = queries::find_order(db, request.order_id)
        .await?
        .ok_or_else(|| ServiceError::not_found("order", request.order_id.to_string()))?;
    let lines = queries::lines_of(db, request.order_id).await?;
    let line = lines
        .iter()
        .find(|l| l.id == request.line_id)
        .ok_or_else(|| ServiceError::not_found("order line", request.line_id.to_string()))?;
    Ok(RequestBody {
        request_id: request.id.to_string(),
        action: request.action.name(),
        order_id: order.id.to_string(),
        line_id: line.id.to_string(),
        customer_id: order.customer_id.to_string(),
        sku: line.sku.clone(),
        quantity: line.quantity,
        amount_minor: request.amount_minor,
        reference: request.prior_reference.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_2xx_with_a_known_outcome_answers() {
        assert_eq!(
            parse_answer(200, br#"{"outcome":"approved","reference":"ch_1"}"#),
            Ok((Outcome::Approved, "ch_1".to_owned()))
        );
        assert_eq!(
            parse_answer(201, br#"{"outcome":"declined"}"#),
            Ok((Outcome::Declined, String::new()))
        );
        for (status, body) in [
            (500, &br#"{"outcome":"approved"}"#[..]),
            (302, br#"{"outcome":"approved"}"#),
            (200, b""),
            (200, b"approved"),
            (200, br#"{"outcome":"maybe"}"#),
        ] {
            assert!(parse_answer(status, body).is_err(), "{status} {body:?}");
        }
    }
}
