//! Reactions of one domain to another's events. Each reaction reads its work from the
//! database (a due mark written with the change), so a missed or duplicated event, a
//! restart or a second process changes when it runs, never whether or how often.
//! Today: the admins' notice about a lapsed Google or Microsoft sign-in.

use tokio::sync::broadcast::error::RecvError;

use crate::error::ServiceResult;
use crate::events::DomainEvent;
use crate::services::accounts::oauth::lapse_notices;
use crate::state::AppState;
use crate::workers::LoopControl;

/// Does whatever reactions are due; returns how many mails were queued.
pub async fn run_once(state: &AppState) -> ServiceResult<usize> {
    lapse_notices::run_once(state).await
}

#[derive(Clone, Default)]
pub struct Reactions {
    control: LoopControl,
}

impl Reactions {
    pub fn start(&self, state: &AppState) {
        let state = state.clone();
        let control = self.control.clone();
        self.control.spawn(async move {
            // Subscribe first, then catch up: an event in between is not missed.
            let mut events = state.events.subscribe();
            loop {
                if let Err(error) = run_once(&state).await {
                    tracing::error!(%error, "reacting to events failed");
                }
                loop {
                    tokio::select! {
                        () = control.woken() => return,
                        event = events.recv() => match event {
                            Ok(DomainEvent::OauthAccountChanged { .. }) | Err(RecvError::Lagged(_)) => break,
                            Ok(_) => {}
                            Err(RecvError::Closed) => return,
                        },
                    }
                }
            }
        });
    }

    pub async fn stop(&self) {
        self.control.stop(std::time::Duration::from_secs(10)).await;
    }
}
