//! Three real server processes on one PostgreSQL share twelve mailboxes of one Dovecot:
//! each mailbox has exactly one IMAP session, the processes hold about a third each; a
//! process killed with SIGKILL loses its mailboxes to the others within the lease plus
//! ten seconds, and mail delivered meanwhile arrives once; started again, it gets its
//! share back. Dovecot's own session list (`doveadm who`) is the witness.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use serde_json::json;

use crate::dovecot::{Dovecot, NUMBERED_MAILBOXES, application_mail};
use crate::helpers::{Backend, Client, database_url};
use crate::mail_crash::{Server, start_with};
use crate::mail_in::{account_input, create_account};
use crate::subscriptions::{connect_to, pushed_until, subscribe};

const LEASE_SECONDS: u64 = 6;
const ENV: [(&str, &str); 3] = [
    ("TALENTPOST_MAILBOX_LEASE_SECONDS", "6"),
    ("TALENTPOST_MAIL_RETRY_MAX_SECONDS", "2"),
    ("TALENTPOST_OUTBOX_WORKER", "false"),
];

/// Who syncs each mailbox (by IMAP user), as the API says.
async fn synced_by(client: &Client) -> BTreeMap<String, Option<String>> {
    let listed = client.gql("{ inboundAccounts { username syncedBy } }", json!({})).await;
    listed.data()["inboundAccounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|account| {
            (
                account["username"].as_str().unwrap().to_owned(),
                account["syncedBy"].as_str().map(str::to_owned),
            )
        })
        .collect()
}

/// Mailboxes held per live process, as `serverProcesses` says.
async fn shares(client: &Client) -> BTreeMap<String, i64> {
    let listed = client.gql("{ serverProcesses { id alive accounts } }", json!({})).await;
    listed.data()["serverProcesses"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|process| process["alive"] == true)
        .map(|process| {
            (
                process["id"].as_str().unwrap().to_owned(),
                process["accounts"].as_i64().unwrap(),
            )
        })
        .collect()
}

struct Watch<'a> {
    dovecot: &'a Dovecot,
    boxes: BTreeSet<String>,
}

impl Watch<'_> {
    /// Dovecot's sessions per mailbox; never two for one mailbox, at any moment looked at.
    fn sessions(&self) -> BTreeMap<String, u32> {
        let sessions: BTreeMap<String, u32> = self
            .dovecot
            .imap_sessions()
            .into_iter()
            .filter(|(user, _)| self.boxes.contains(user))
            .collect();
        assert!(
            sessions.values().all(|count| *count <= 1),
            "a mailbox with two sessions: {sessions:?}"
        );
        sessions
    }

    /// Waits until every mailbox has its one session and `settled` holds for the shares.
    async fn until_settled(
        &self,
        client: &Client,
        limit: Duration,
        settled: impl Fn(&BTreeMap<String, i64>) -> bool,
    ) -> BTreeMap<String, i64> {
        let deadline = Instant::now() + limit;
        loop {
            let logged = self.dovecot.log_lines_seen();
            let sessions = self.sessions();
            let shares = shares(client).await;
            if sessions.len() == self.boxes.len() && settled(&shares) {
                return shares;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            assert!(
                !left.is_zero(),
                "not settled within {limit:?}: sessions {sessions:?}, shares {shares:?}"
            );
            // Sessions change with a login or logout, which Dovecot logs. A process's
            // heartbeat running out has no event of its own: looked at again once a
            // heartbeat interval (a third of the lease) at the latest.
            let heartbeat = Duration::from_secs(LEASE_SECONDS) / 3;
            self.dovecot.next_log_line(logged, left.min(heartbeat)).await;
        }
    }
}

async fn subjects(client: &Client) -> Vec<String> {
    let listed = client
        .gql(
            "{ inboxItems(medium: EMAIL, first: 100) { nodes { subject } } }",
            json!({}),
        )
        .await;
    listed.data()["inboxItems"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|item| item["subject"].as_str().map(str::to_owned))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_processes_share_the_mailboxes_and_take_over_from_a_dead_one() {
    let dovecot = Dovecot::start();
    let data_dir = tempfile::tempdir().unwrap();
    let database = database_url(Backend::Postgres, data_dir.path()).await;
    let [port_a, port_b, port_c] = crate::dovecot::free_ports::<3>();
    let first = start_with(data_dir.path(), &database, port_a, &ENV).await;
    let boxes: BTreeSet<String> = (0..NUMBERED_MAILBOXES).map(|n| format!("box{n}")).collect();
    for user in &boxes {
        let created = create_account(&first.client, account_input(&dovecot, user, "INBOX")).await;
        assert!(created["id"].is_string(), "{created}");
    }
    let watch = Watch {
        dovecot: &dovecot,
        boxes: boxes.clone(),
    };
    let mut second = start_with(data_dir.path(), &database, port_b, &ENV).await;
    let third = start_with(data_dir.path(), &database, port_c, &ENV).await;
    let fair = |shares: &BTreeMap<String, i64>| {
        shares.len() == 3 && shares.values().all(|held| *held == 4) && shares.values().sum::<i64>() == 12
    };
    let shares = watch.until_settled(&first.client, Duration::from_secs(60), fair).await;
    assert!(shares.values().all(|held| *held <= 6), "{shares:?}");

    // SIGKILL: no goodbye, its leases simply stop being renewed.
    let held = synced_by(&first.client).await;
    let owner_of_second = instance_of(&second).await;
    let orphaned: Vec<String> = held
        .iter()
        .filter(|(_, owner)| owner.as_deref() == Some(owner_of_second.as_str()))
        .map(|(user, _)| user.clone())
        .collect();
    assert_eq!(orphaned.len(), 4, "{held:?}");
    let killed_at = Instant::now();
    // Listening before the kill: every mail that arrives afterwards is an event here,
    // whichever process ingests it (the relay brings the others').
    let created = first
        .client
        .gql("mutation { createApiToken(name: \"watch\") { token } }", json!({}))
        .await;
    let token = created.data()["createApiToken"]["token"].as_str().unwrap().to_owned();
    let mut arrivals = connect_to(
        &format!("ws://127.0.0.1:{port_a}/graphql/ws"),
        None,
        json!({"authorization": format!("Bearer {token}")}),
    )
    .await;
    subscribe(
        &mut arrivals,
        "arrivals",
        "subscription { inboxItemAdded(medium: EMAIL) { subject } }",
    )
    .await;
    second.child.kill().unwrap();
    second.child.wait().unwrap();
    for user in &orphaned {
        dovecot.deliver(
            user,
            None,
            &application_mail(
                "Während",
                "waehrend@example.org",
                &format!("Während des Ausfalls {user}"),
                &format!("failover-{user}@example.org"),
            ),
        );
    }
    let taken_over = |shares: &BTreeMap<String, i64>| {
        shares.len() == 2 && shares.values().sum::<i64>() == 12 && shares.values().all(|held| *held <= 6)
    };
    let limit = Duration::from_secs(LEASE_SECONDS + 10);
    watch.until_settled(&first.client, limit, taken_over).await;
    let expected: BTreeSet<String> = orphaned
        .iter()
        .map(|user| format!("Während des Ausfalls {user}"))
        .collect();
    let mut seen = BTreeSet::new();
    pushed_until(&mut arrivals, limit.saturating_sub(killed_at.elapsed()), |data| {
        if let Some(subject) = data["inboxItemAdded"]["subject"].as_str() {
            seen.insert(subject.to_owned());
        }
        expected.is_subset(&seen)
    })
    .await;
    // Once each, whichever process took the mailbox over.
    let arrived = subjects(&first.client).await;
    for subject in &expected {
        let copies = arrived.iter().filter(|arrived| *arrived == subject).count();
        assert_eq!(copies, 1, "{subject}: {arrived:?}");
    }
    let failover = killed_at.elapsed();
    eprintln!("failover: the mailboxes of the killed process were synced again after {failover:?}");
    for (user, owner) in synced_by(&third.client).await {
        assert!(
            owner.is_some_and(|owner| owner != owner_of_second),
            "{user} not taken over"
        );
    }

    // Back again: the three share once more.
    let restarted = start_with(data_dir.path(), &database, port_b, &ENV).await;
    watch
        .until_settled(&restarted.client, Duration::from_secs(60), fair)
        .await;
    drop(first);
}

/// The instance name (`host-pid-random`) of `server`, found by its process id.
async fn instance_of(server: &Server) -> String {
    let listed = server.client.gql("{ serverProcesses { id } }", json!({})).await;
    let pid = server.child.id().to_string();
    listed.data()["serverProcesses"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|process| process["id"].as_str())
        .find(|instance| instance.rsplit('-').nth(1) == Some(pid.as_str()))
        .map(str::to_owned)
        .unwrap_or_else(|| panic!("no process with pid {pid}: {:?}", listed.data()))
}
