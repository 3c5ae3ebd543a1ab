//! Background workers. Each is registered with the service context, starts
//! once the database is migrated and returns soon after shutdown begins.

pub mod resender;
pub mod webhook;

use std::time::Duration;

use backorder_platform::service::ServiceContext;

use crate::dispatch::Dispatcher;

/// Registers every worker of the service on `context`: the resender, and
/// the webhook worker when a webhook is configured.
pub fn register(context: &ServiceContext, dispatcher: Dispatcher, resend_every: Duration) {
    if dispatcher.webhook().is_some() {
        let dispatcher = dispatcher.clone();
        context.spawn_worker("webhook", move |shutdown| {
            webhook::run(dispatcher, shutdown)
        });
    }
    context.spawn_worker("resender", move |shutdown| {
        resender::run(dispatcher, resend_every, shutdown)
    });
}
