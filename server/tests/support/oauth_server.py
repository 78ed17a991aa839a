#!/usr/bin/env python3
"""A small OAuth2 authorisation server standing in for Google and Microsoft in tests.

Started by the test scripts (the API tests and scripts/test for the browser tests) on a
loopback port; Dovecot's oauth2 passdb checks IMAP and SMTP XOAUTH2 logins against its
introspection endpoint, so a token this server no longer accepts is refused by the real
mail servers too.

  /authorize   consent page (GET) and decision (POST): code flow with PKCE (S256 only)
  /token       authorization_code and refresh_token grants; refresh tokens rotate, and a
               rotated or revoked one answers invalid_grant
  /introspect  RFC 7662, what Dovecot asks
  /revoke      RFC 7009
  /userinfo    the mailbox of a bearer token
  /control/*   for the tests: settings, revoking a user's grants, counters, and waiting
               for a counter (long poll), so tests wait on events instead of sleeping

Standard library only, so the machine needs nothing but python3.
"""

import argparse
import base64
import hashlib
import html
import json
import secrets
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LOCK = threading.Condition()
STATE = {
    "access_lifetime": 3600,
    "rotate_refresh_tokens": True,
    # Answer the refresh grant with a 503 this many times (the "provider is down" case).
    "fail_refreshes": 0,
    # Seconds a refresh takes, so that concurrent refreshes really overlap.
    "refresh_delay": 0,
}
CODES = {}  # code -> dict(user, client_id, redirect_uri, challenge, scope, expires)
GRANTS = {}  # grant id -> dict(user, revoked)
REFRESH = {}  # refresh token -> grant id (only the current one per grant)
ACCESS = {}  # access token -> dict(grant, expires)
ISSUED = []  # (user, refresh token) in the order issued, for the tests' rotation checks
STATS = {"codes": 0, "authorization_code": 0, "refresh_token": 0, "refresh_refused": 0, "introspections": 0, "revocations": 0}
ARGS = None


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def id_token(user, client_id):
    header = b64url(json.dumps({"alg": "none", "typ": "JWT"}).encode())
    now = int(time.time())
    claims = {
        "iss": ARGS.issuer,
        "aud": client_id,
        "sub": hashlib.sha256(user.encode()).hexdigest()[:20],
        "email": user,
        "preferred_username": user,
        "iat": now,
        "exp": now + 3600,
    }
    return f"{header}.{b64url(json.dumps(claims).encode())}."


def issue(grant_id, client_id, with_refresh):
    grant = GRANTS[grant_id]
    access = "at-" + secrets.token_urlsafe(24)
    ACCESS[access] = {"grant": grant_id, "expires": time.time() + STATE["access_lifetime"]}
    body = {
        "access_token": access,
        "token_type": "Bearer",
        "expires_in": STATE["access_lifetime"],
        "scope": grant["scope"],
        "id_token": id_token(grant["user"], client_id),
    }
    if with_refresh:
        for token, owner in list(REFRESH.items()):
            if owner == grant_id:
                del REFRESH[token]
        refresh = "rt-" + secrets.token_urlsafe(24)
        REFRESH[refresh] = grant_id
        ISSUED.append((grant["user"], refresh))
        body["refresh_token"] = refresh
    return body


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        if ARGS.verbose:
            sys.stderr.write("oauth-server: " + fmt % args + "\n")

    def reply(self, status, body, content_type="application/json", headers=()):
        data = body if isinstance(body, bytes) else (json.dumps(body) if content_type == "application/json" else body).encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def form(self):
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length).decode() if length else ""
        if self.headers.get("Content-Type", "").startswith("application/json"):
            return json.loads(raw or "{}")
        return {k: v[0] for k, v in urllib.parse.parse_qs(raw, keep_blank_values=True).items()}

    def client_ok(self, form):
        client_id, client_secret = form.get("client_id"), form.get("client_secret")
        auth = self.headers.get("Authorization", "")
        if auth.startswith("Basic "):
            decoded = base64.b64decode(auth[6:]).decode()
            client_id, _, client_secret = decoded.partition(":")
            client_id, client_secret = urllib.parse.unquote_plus(client_id), urllib.parse.unquote_plus(client_secret)
        return client_id == ARGS.client_id and client_secret == ARGS.client_secret, client_id

    def do_GET(self):
        url = urllib.parse.urlparse(self.path)
        query = {k: v[0] for k, v in urllib.parse.parse_qs(url.query).items()}
        if url.path == "/authorize":
            return self.consent_page(query)
        if url.path == "/userinfo":
            token = self.headers.get("Authorization", "").removeprefix("Bearer ")
            with LOCK:
                live = self.live_access(token)
            if not live:
                return self.reply(401, {"error": "invalid_token"})
            return self.reply(200, {"email": live["user"], "email_verified": True})
        if url.path == "/control/issued":
            with LOCK:
                return self.reply(200, [token for user, token in ISSUED if user == query.get("user")])
        if url.path == "/control/stats":
            with LOCK:
                return self.reply(200, dict(STATS))
        if url.path == "/control/wait":
            counter, target = query.get("counter", "refresh_token"), int(query.get("count", "1"))
            deadline = time.time() + float(query.get("timeout", "30"))
            with LOCK:
                while STATS.get(counter, 0) < target:
                    left = deadline - time.time()
                    if left <= 0:
                        return self.reply(408, dict(STATS))
                    LOCK.wait(left)
                return self.reply(200, dict(STATS))
        if url.path == "/health":
            return self.reply(200, {"ok": True})
        self.reply(404, {"error": "not_found"})

    def consent_page(self, query):
        problems = []
        if query.get("response_type") != "code":
            problems.append("response_type must be code")
        if query.get("client_id") != ARGS.client_id:
            problems.append("unknown client_id")
        if query.get("code_challenge_method") != "S256" or not query.get("code_challenge"):
            problems.append("PKCE with S256 is required")
        if not query.get("redirect_uri") or not query.get("state"):
            problems.append("redirect_uri and state are required")
        if problems:
            return self.reply(400, "<p>" + html.escape("; ".join(problems)) + "</p>", "text/html; charset=utf-8")
        hidden = "".join(
            f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">' for k, v in query.items()
        )
        options = "".join(f'<option value="{html.escape(u)}">{html.escape(u)}</option>' for u in ARGS.users)
        page = f"""<!doctype html><html><head><title>Test identity provider</title></head><body>
<h1>Test identity provider</h1>
<p>Talentpost asks for access to your mailbox ({html.escape(query.get("scope", ""))}).</p>
<form method="post" action="/authorize">{hidden}
<label>Mailbox <select name="user">{options}</select></label>
<button name="decision" value="allow">Allow</button>
<button name="decision" value="deny">Deny</button>
</form></body></html>"""
        self.reply(200, page, "text/html; charset=utf-8")

    def live_access(self, token):
        entry = ACCESS.get(token)
        if not entry or entry["expires"] < time.time() or GRANTS[entry["grant"]]["revoked"]:
            return None
        return GRANTS[entry["grant"]]

    def do_POST(self):
        url = urllib.parse.urlparse(self.path)
        form = self.form()
        if url.path == "/authorize":
            redirect = form.get("redirect_uri", "")
            params = {"state": form.get("state", "")}
            if form.get("decision") != "allow":
                params["error"] = "access_denied"
            else:
                code = "code-" + secrets.token_urlsafe(18)
                with LOCK:
                    CODES[code] = {
                        "user": form.get("user") or ARGS.users[0],
                        "client_id": form.get("client_id"),
                        "redirect_uri": redirect,
                        "challenge": form.get("code_challenge"),
                        "scope": form.get("scope", ""),
                        "expires": time.time() + 120,
                    }
                    STATS["codes"] += 1
                    LOCK.notify_all()
                params["code"] = code
            separator = "&" if "?" in redirect else "?"
            return self.reply(302, b"", "text/plain", [("Location", redirect + separator + urllib.parse.urlencode(params))])
        if url.path == "/token":
            return self.token(form)
        if url.path == "/introspect":
            with LOCK:
                STATS["introspections"] += 1
                grant = self.live_access(form.get("token", ""))
            # "active": false must be explicit: Dovecot accepts a reply without it.
            return self.reply(200, {"active": True, "email": grant["user"], "scope": grant["scope"]} if grant else {"active": False})
        if url.path == "/revoke":
            with LOCK:
                token = form.get("token", "")
                grant_id = REFRESH.get(token) or (ACCESS.get(token) or {}).get("grant")
                if grant_id:
                    GRANTS[grant_id]["revoked"] = True
                STATS["revocations"] += 1
                LOCK.notify_all()
            return self.reply(200, {})
        if url.path == "/control/settings":
            with LOCK:
                STATE.update(form)
            return self.reply(200, dict(STATE))
        if url.path == "/control/revoke-user":
            with LOCK:
                for grant in GRANTS.values():
                    if grant["user"] == form.get("user"):
                        grant["revoked"] = True
            return self.reply(200, {})
        if url.path == "/control/expire-access-tokens":
            with LOCK:
                for entry in ACCESS.values():
                    entry["expires"] = 0
            return self.reply(200, {})
        self.reply(404, {"error": "not_found"})

    def token(self, form):
        ok, client_id = self.client_ok(form)
        if not ok:
            return self.reply(401, {"error": "invalid_client"})
        grant_type = form.get("grant_type")
        if grant_type == "refresh_token" and STATE["refresh_delay"]:
            time.sleep(float(STATE["refresh_delay"]))
        with LOCK:
            if grant_type == "authorization_code":
                code = CODES.pop(form.get("code", ""), None)
                if not code or code["expires"] < time.time() or code["client_id"] != client_id:
                    return self.reply(400, {"error": "invalid_grant", "error_description": "unknown or used code"})
                if code["redirect_uri"] != form.get("redirect_uri"):
                    return self.reply(400, {"error": "invalid_grant", "error_description": "redirect_uri differs"})
                verifier = form.get("code_verifier", "")
                if b64url(hashlib.sha256(verifier.encode()).digest()) != code["challenge"]:
                    return self.reply(400, {"error": "invalid_grant", "error_description": "PKCE verification failed"})
                grant_id = secrets.token_hex(8)
                GRANTS[grant_id] = {"user": code["user"], "scope": code["scope"], "revoked": False}
                STATS["authorization_code"] += 1
                LOCK.notify_all()
                return self.reply(200, issue(grant_id, client_id, True))
            if grant_type == "refresh_token":
                if STATE["fail_refreshes"] > 0:
                    STATE["fail_refreshes"] -= 1
                    STATS["refresh_refused"] += 1
                    LOCK.notify_all()
                    return self.reply(503, {"error": "temporarily_unavailable"})
                grant_id = REFRESH.get(form.get("refresh_token", ""))
                if not grant_id or GRANTS[grant_id]["revoked"]:
                    STATS["refresh_refused"] += 1
                    LOCK.notify_all()
                    return self.reply(400, {"error": "invalid_grant", "error_description": "the refresh token is not valid"})
                STATS["refresh_token"] += 1
                LOCK.notify_all()
                return self.reply(200, issue(grant_id, client_id, bool(STATE["rotate_refresh_tokens"])))
        return self.reply(400, {"error": "unsupported_grant_type"})


def main():
    global ARGS
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--client-id", default="talentpost-test")
    parser.add_argument("--client-secret", default="test-client-secret")
    parser.add_argument("--users", default="jobs@example.test,sales@example.test")
    parser.add_argument("--access-lifetime", type=int, default=3600)
    parser.add_argument("--issuer", default="http://127.0.0.1")
    parser.add_argument("--verbose", action="store_true")
    ARGS = parser.parse_args()
    ARGS.users = ARGS.users.split(",")
    STATE["access_lifetime"] = ARGS.access_lifetime
    server = ThreadingHTTPServer(("127.0.0.1", ARGS.port), Handler)
    server.daemon_threads = True
    print(f"listening on {server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
