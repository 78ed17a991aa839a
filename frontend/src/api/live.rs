//! The live connection: one graphql-transport-ws socket per signed-in app, carrying
//! the inbox counts and a signal that bumps when new items arrive. It reconnects with
//! backoff, so a server restart only shows as "reconnecting" for a moment.

use std::future::IntoFuture;

use futures::StreamExt;
use graphql_client::{GraphQLQuery, QueryBody};
use graphql_ws_client::graphql::GraphqlOperation;
use leptos::prelude::*;
use leptos::task::spawn_local;
use serde::Serialize;
use serde_json::Value;
use talentpost_shared::MediumCounts;

use super::generated;

#[derive(Clone, Copy)]
pub struct LiveInbox {
    /// Unassigned items per medium, as the server last pushed them.
    pub counts: RwSignal<Option<MediumCounts>>,
    /// Increases with every new visible item; lists re-read when it changes.
    pub version: RwSignal<u64>,
    pub connected: RwSignal<bool>,
    /// Increases whenever an inbound account's settings or sync status change
    /// (only subscribed for users who manage mail accounts).
    pub accounts_version: RwSignal<u64>,
    /// Increases whenever outgoing mail is queued or changes status; the outbox and
    /// contact histories re-read when it changes.
    pub outbox_version: RwSignal<u64>,
}

/// A generated subscription, sent over the socket as its `QueryBody`.
struct Subscription<Q: GraphQLQuery>(QueryBody<Q::Variables>);

impl<Q: GraphQLQuery> Subscription<Q> {
    fn new(variables: Q::Variables) -> Self {
        Self(Q::build_query(variables))
    }
}

impl<Q: GraphQLQuery> Serialize for Subscription<Q> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct DecodeError(String);

impl<Q: GraphQLQuery> GraphqlOperation for Subscription<Q> {
    type Response = Q::ResponseData;
    type Error = DecodeError;

    fn decode(&self, mut payload: Value) -> Result<Q::ResponseData, DecodeError> {
        if let Some(error) = payload["errors"].get(0) {
            return Err(DecodeError(
                error["message"].as_str().unwrap_or("subscription error").to_owned(),
            ));
        }
        serde_json::from_value(payload["data"].take()).map_err(|e| DecodeError(e.to_string()))
    }
}

impl LiveInbox {
    pub fn start(watch_accounts: bool) -> Self {
        let live = Self {
            counts: RwSignal::new(None),
            version: RwSignal::new(0),
            connected: RwSignal::new(false),
            accounts_version: RwSignal::new(0),
            outbox_version: RwSignal::new(0),
        };
        // Aborting drops the client and its subscriptions, which closes the socket:
        // after logout nothing keeps listening with the old session.
        let (abort, registration) = futures::future::AbortHandle::new_pair();
        on_cleanup(move || abort.abort());
        let reconnecting = async move {
            let mut delay_ms = 500;
            loop {
                if let Err(error) = live.run_once(watch_accounts).await {
                    leptos::logging::warn!("live connection: {error}");
                }
                if live.connected.get_untracked() {
                    // It was up: a dropped connection is retried quickly again.
                    delay_ms = 500;
                }
                live.connected.set(false);
                sleep_ms(delay_ms).await;
                delay_ms = (delay_ms * 2).min(15_000);
            }
        };
        spawn_local(async move {
            let _ = futures::future::Abortable::new(reconnecting, registration).await;
        });
        live
    }

    /// One connection's lifetime: connect, subscribe, apply pushes until it drops.
    async fn run_once(self, watch_accounts: bool) -> Result<(), String> {
        let url = websocket_url().ok_or("no window location")?;
        let socket = ws_stream_wasm::WsMeta::connect(url, Some(vec!["graphql-transport-ws"]))
            .await
            .map_err(|e| e.to_string())?;
        let connection = graphql_ws_client::ws_stream_wasm::Connection::new(socket).await;
        // The browser sends the session cookie with the upgrade request; no payload needed.
        let (client, actor) = graphql_ws_client::Client::build(connection)
            .await
            .map_err(|e| e.to_string())?;
        spawn_local(actor.into_future());
        let counts = client
            .subscribe(Subscription::<generated::InboxCountsChanged>::new(
                generated::inbox_counts_changed::Variables,
            ))
            .await
            .map_err(|e| e.to_string())?;
        let items = client
            .subscribe(Subscription::<generated::InboxItemAdded>::new(
                generated::inbox_item_added::Variables,
            ))
            .await
            .map_err(|e| e.to_string())?;
        let outbox = client
            .subscribe(Subscription::<generated::OutboxMessageChanged>::new(
                generated::outbox_message_changed::Variables,
            ))
            .await
            .map_err(|e| e.to_string())?;
        let accounts = if watch_accounts {
            Some(
                client
                    .subscribe(Subscription::<generated::InboundAccountStatusChanged>::new(
                        generated::inbound_account_status_changed::Variables,
                    ))
                    .await
                    .map_err(|e| e.to_string())?,
            )
        } else {
            None
        };
        self.connected.set(true);
        enum Push {
            Counts(MediumCounts),
            Item,
            Account,
            Outbox,
        }
        let inbox = futures::stream::select(
            futures::stream::select(
                counts.map(|r| {
                    r.map(|data| {
                        let counts = data.inbox_counts_changed;
                        let count = |n: i64| u64::try_from(n).unwrap_or_default();
                        Push::Counts(MediumCounts {
                            email: count(counts.email),
                            online_form: count(counts.online_form),
                            job_agency: count(counts.job_agency),
                            sms: count(counts.sms),
                        })
                    })
                }),
                items.map(|r| r.map(|_| Push::Item)),
            ),
            outbox.map(|r| r.map(|_| Push::Outbox)),
        );
        let accounts = futures::stream::iter(accounts)
            .flatten()
            .map(|r| r.map(|_| Push::Account));
        // Pushes that arrive together (a burst of new mail) are applied together, so a
        // list re-reads once per burst rather than once per item.
        let mut pushes = futures::stream::select(inbox, accounts).ready_chunks(512);
        while let Some(batch) = pushes.next().await {
            let (mut new_items, mut account_changes, mut outbox_changes) = (false, false, false);
            for push in batch {
                match push.map_err(|e| e.to_string())? {
                    Push::Counts(counts) => self.counts.set(Some(counts)),
                    Push::Item => new_items = true,
                    Push::Account => account_changes = true,
                    Push::Outbox => outbox_changes = true,
                }
            }
            if new_items {
                self.version.update(|v| *v += 1);
            }
            if account_changes {
                self.accounts_version.update(|v| *v += 1);
            }
            if outbox_changes {
                self.outbox_version.update(|v| *v += 1);
            }
        }
        Ok(())
    }
}

fn websocket_url() -> Option<String> {
    let location = web_sys::window()?.location();
    let scheme = if location.protocol().ok()? == "https:" {
        "wss"
    } else {
        "ws"
    };
    Some(format!("{scheme}://{}/graphql/ws", location.host().ok()?))
}

async fn sleep_ms(ms: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        if let Some(window) = web_sys::window() {
            let _ = window.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
        }
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}
