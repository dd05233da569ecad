#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""mockapi.py: a loopback stand-in for the model APIs the real agent CLIs call.

Claude Code talks the Anthropic Messages API (POST /v1/messages, SSE when the
request says "stream": true); Codex talks the OpenAI Responses API (POST
/v1/responses, SSE). Nothing here is a real model: every answer comes from a
*scenario*, a JSON file re-read on every request, so a test can switch it
mid-run. Python 3 standard library only.

    mockapi.py --scenario FILE [--port-file FILE] [--log FILE] [--port N]

Binds 127.0.0.1 (port 0 by default: the kernel picks one), prints the port on
stdout and writes it to --port-file (written to a temporary name and renamed,
so a reader never sees half of it), then serves until killed. Each request is
appended to --log as one JSON line: {"t", "cli", "method", "path", "status",
"scenario", "summary"}; a model request's summary holds "first_user", the
text of its first user message (what the CLI made of the prompt: a skill's
expansion, say), cut at FIRST_USER_MAX characters; a Codex request's also
"user_texts", every user message's text (Codex sends its environment
context first, the prompt and what it adds to it after).

Scenario file (missing or unreadable: "success" for both):

    {"claude": STEP, "codex": STEP, <defaults for every step>}

    STEP = "NAME"
         | {"name": NAME, "times": N, "then": STEP, <options>}
         | [STEP, STEP, ...]          a queue: each STEP in turn

A step with "times" answers that many requests, then gives way to its
"then" (or to the next in the queue; after the last, the last stays).
"usage-limit" answers the limit until its reset, fixed at the first limited
request and remembered; with "reset_in"/"reset_at" (on the step or at the
top level) it then gives way to "then" (default "success"), so
{"claude": "usage-limit", "reset_in": 5} is a limit for 5 s, then
success.

Options, on a step or at the top level: "text" (the model's reply),
"result" (the AUTOMATOR_RESULT object in the default reply), "usage"
(token counts), "reset_in" (seconds, default 3600), "reset_at" (epoch, wins
over reset_in), "claim" (Claude's limit window: five_hour, seven_day,
seven_day_opus, seven_day_sonnet, overage), "retry_after" (seconds, default
1), "plan" (Codex plan_type, default "pro"; null for none), "command" (the
permission-denied Bash command), "calls" (the "tools" script, see
below), "delay" (seconds before answering), "status"/"body"/"headers" (for
"raw"). Changing the file's content resets the counters.

Claude scenarios: success, usage-limit, auth-expired, invalid-key, credit,
429, 529, 500, permission-denied (a Bash tool_use first, the final text once
the CLI sends the tool_result back), tools (below), raw.
Codex scenarios: success, usage-limit, quota, 401, 429, 500, tools, raw.

"tools": the model works on story 1.1 of examples/demo in the project the
CLI runs in (CLAUDE_TOOLS_SCRIPT, CODEX_TOOLS_SCRIPT): reads, a new test
that fails, an edit the CLI refuses, the edit that fixes it, the test
passing, the story moved to review, then the final text (with "text" or
"result" as in success). Each reply is picked by how many tool calls the
request's conversation already holds, so the CLI runs every call and sends
its result before the next. Claude: tool_use blocks (Read, Bash, Write,
Edit: the tools Claude Code 2.1.332 offers); Codex 0.171.0 offers one
tool, "exec" (a JavaScript cell calling tools.exec_command and
tools.apply_patch): custom_tool_call items. Bash beyond read-only commands
needs a permission rule (tests/fixtures/agents/README.md).

What the CLIs need and what each answer makes them print:
tests/fixtures/agents/README.md. In short: Claude Code prints its own
"You've hit your ... limit" (and a rate_limit_event) only when it believes
it has a subscription login (CLAUDE_CODE_OAUTH_TOKEN); with an API key the
same 429 is "API Error: Request rejected (429) ...".
"""
import argparse
import hashlib
import json
import os
import re
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

DEFAULT_RESULT = {"status": "done", "summary": "mock"}
LOCK = threading.Lock()
ARGS = None
STATE = {"digest": None, "cli": {}}


def now():
    return time.time()


def load_scenario():
    try:
        with open(ARGS.scenario, "rb") as f:
            raw = f.read()
    except OSError:
        raw = b"{}"
    digest = hashlib.sha256(raw).hexdigest()
    try:
        sc = json.loads(raw or b"{}")
    except ValueError:
        sc = {}
    if not isinstance(sc, dict):
        sc = {}
    if digest != STATE["digest"]:
        STATE["digest"] = digest
        STATE["cli"] = {}
    return sc


def norm(step):
    if isinstance(step, str):
        return {"name": step}
    if isinstance(step, dict):
        return dict(step)
    return {"name": "success"}


def flatten(step, defaults):
    """A STEP as a list of plain steps, "then" chains unrolled."""
    if isinstance(step, list):
        out = []
        for s in step:
            out.extend(flatten(s, defaults))
        return out or [{"name": "success"}]
    s = norm(step)
    out = [s]
    if "then" in s:
        out.extend(flatten(s["then"], defaults))
    elif s.get("name") == "usage-limit" and s.get("times") is None and any(
            k in s or k in defaults for k in ("reset_in", "reset_at")):
        # a limit that resets gives way to success unless told otherwise
        out.append({"name": "success"})
    return out


def pick(cli, sc, counts=True):
    """The step answering this request of CLI; advances the queue."""
    defaults = {k: v for k, v in sc.items() if k not in ("claude", "codex")}
    steps = flatten(sc.get(cli, "success"), defaults)
    st = STATE["cli"].setdefault(cli, {"idx": 0, "n": 0, "reset": {}})
    while True:
        idx = min(st["idx"], len(steps) - 1)
        step = dict(defaults)
        step.update(steps[idx])
        step.pop("then", None)
        last = idx == len(steps) - 1
        name = step.get("name", "success")
        if name == "usage-limit":
            # the reset is fixed by the first limited request, then kept
            key = str(idx)
            if key not in st["reset"]:
                st["reset"][key] = reset_epoch(step)
            step["_reset"] = st["reset"][key]
            if now() >= st["reset"][key] and not last:
                st["idx"] = idx + 1
                st["n"] = 0
                continue
        times = step.get("times")
        if times is not None and st["n"] >= int(times) and not last:
            st["idx"] = idx + 1
            st["n"] = 0
            continue
        if counts:
            st["n"] += 1
        step["name"] = name
        return step


def reset_epoch(step):
    if "reset_at" in step:
        return int(step["reset_at"])
    return int(now() + float(step.get("reset_in", 3600)))


def reply_text(step):
    if "text" in step:
        return str(step["text"])
    res = step.get("result", DEFAULT_RESULT)
    return "Mock reply.\n\nAUTOMATOR_RESULT " + json.dumps(res, separators=(",", ":"))


def log(entry):
    if not ARGS.log:
        return
    entry = dict(entry)
    entry["t"] = round(now(), 3)
    with LOCK:
        with open(ARGS.log, "a", encoding="utf-8") as f:
            f.write(json.dumps(entry, separators=(",", ":")) + "\n")


def sse(event, data):
    return ("event: %s\ndata: %s\n\n" % (event, json.dumps(data, separators=(",", ":")))).encode()


# ---------------------------------------------------------------- Anthropic

def anthropic_error(etype, message):
    return {"type": "error", "error": {"type": etype, "message": message},
            "request_id": "req_mock_" + uuid.uuid4().hex[:20]}


def last_user_has_tool_result(body):
    msgs = body.get("messages") or []
    for m in reversed(msgs):
        if m.get("role") != "user":
            continue
        c = m.get("content")
        if isinstance(c, list):
            return any(isinstance(b, dict) and b.get("type") == "tool_result" for b in c)
        return False
    return False


FIRST_USER_MAX = 8000


def user_texts(items):
    """The texts of the user messages of a Messages "messages" or a Responses
    "input" list (each message's text blocks joined by newlines), each at
    most FIRST_USER_MAX characters."""
    out = []
    for m in items or []:
        if not isinstance(m, dict) or m.get("role") != "user":
            continue
        c = m.get("content")
        if isinstance(c, str):
            out.append(c[:FIRST_USER_MAX])
            continue
        parts = []
        for b in c if isinstance(c, list) else []:
            if isinstance(b, dict) and isinstance(b.get("text"), str):
                parts.append(b["text"])
        out.append("\n".join(parts)[:FIRST_USER_MAX])
    return out


def first_user_text(items):
    """The text of the first user message (user_texts): what the CLI made of
    the prompt, for Claude Code (a skill's expansion, say)."""
    texts = user_texts(items)
    return texts[0] if texts else ""


# ------------------------------------------------------------ "tools" scripts
#
# The "tools" scenario: the model works on story 1.1 of examples/demo (the
# project capture.sh copies) the way a real one would, one tool call (or a
# few at once) a reply, each reply chosen by how many tool calls the
# conversation already holds, so the CLI runs every call in the project
# and sends its result back before the next. A step's "calls" replaces the
# script: a list of turns, each a list of {"text": T} or {"tool": NAME,
# "input": {...}} (Claude) or {"text": T} or {"exec": JS} (Codex);
# "{cwd}" in any string is the project directory the CLI names in its
# request. After the last turn, the final reply (tools_final_text).

REGISTRY_TEST = """#!/bin/sh
# tests/registry.sh: every plant of the registry has a watering interval.
set -u
cd "$(dirname "$0")/.."
here=src
. src/plants.sh

for p in Monstera Basil; do
	n=$(plants_interval "$p") || { echo "registry: no interval for $p" >&2; exit 1; }
done
[ "$(plants_interval Basil)" = 2 ] || { echo "registry: Basil: want every 2 days" >&2; exit 1; }
echo "registry: ok"
"""

INTERVAL_FN = """# plants_interval NAME: how often NAME wants water, in days.
plants_interval() {
	plants_each | awk -F '\\t' -v name="$1" '$1 == name { print $2; found = 1 } END { exit !found }'
}

"""

CLAUDE_TOOLS_SCRIPT = [
    [{"text": "I'll read the plant registry and its data first."},
     {"tool": "Read", "input": {"file_path": "{cwd}/src/plants.sh"}},
     {"tool": "Read", "input": {"file_path": "{cwd}/data/plants.txt"}}],
    [{"tool": "Bash", "input": {"command": "grep -n 'plants_' src/watering.sh",
                                "description": "Find where the registry is used"}}],
    [{"tool": "Write", "input": {"file_path": "{cwd}/tests/registry.sh", "content": REGISTRY_TEST}}],
    [{"tool": "Bash", "input": {"command": "sh tests/registry.sh",
                                "description": "Run the registry test"}}],
    # old_string not in the file: the CLI refuses the edit
    [{"tool": "Edit", "input": {"file_path": "{cwd}/src/plants.sh",
                                "old_string": "plants_list () {\n",
                                "new_string": INTERVAL_FN + "plants_list () {\n"}}],
    [{"text": "The function header has no space; trying again."},
     {"tool": "Edit", "input": {"file_path": "{cwd}/src/plants.sh",
                                "old_string": "plants_list() {\n",
                                "new_string": INTERVAL_FN + "plants_list() {\n"}}],
    [{"tool": "Bash", "input": {"command": "sh tests/registry.sh && sh tests/check.sh",
                                "description": "Run the registry test and the project check"}}],
    [{"tool": "Read", "input": {"file_path": "{cwd}/_bmad-output/implementation-artifacts/sprint-status.yaml"}}],
    [{"tool": "Edit", "input": {"file_path": "{cwd}/_bmad-output/implementation-artifacts/sprint-status.yaml",
                                "old_string": "1-1-plant-registry: ready-for-dev",
                                "new_string": "1-1-plant-registry: review"}}],
]


def js_str(s):
    """s as a JavaScript string literal."""
    return json.dumps(s).replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def js_command(cmd):
    return ("const r = await tools.exec_command({cmd: %s});\n"
            "text(r.output);\n"
            "text(`exit ${r.exit_code}`);\n" % js_str(cmd))


def js_patch(patch):
    return "text(await tools.apply_patch(%s));\n" % js_str(patch)


def patch_add(path, content):
    return "*** Add File: %s\n%s" % (path, "".join("+" + l + "\n" for l in content.splitlines()))


CODEX_TOOLS_SCRIPT = [
    [{"text": "Reading the plant registry first."},
     {"exec": js_command("sed -n '1,40p' src/plants.sh")}],
    [{"exec": js_patch("*** Begin Patch\n" + patch_add("tests/registry.sh", REGISTRY_TEST) + "*** End Patch\n")}],
    [{"exec": js_command("sh tests/registry.sh")}],
    # a context line not in the file: the patch is refused
    [{"exec": js_patch("*** Begin Patch\n*** Update File: src/plants.sh\n@@\n"
                       + "".join("+" + l + "\n" for l in INTERVAL_FN.splitlines())
                       + " plants_list () {\n*** End Patch\n")}],
    [{"text": "The function header has no space; patching again."},
     {"exec": js_patch("*** Begin Patch\n*** Update File: src/plants.sh\n@@\n"
                       + "".join("+" + l + "\n" for l in INTERVAL_FN.splitlines())
                       + " plants_list() {\n"
                       + "*** Update File: _bmad-output/implementation-artifacts/sprint-status.yaml\n@@\n"
                       + "-  1-1-plant-registry: ready-for-dev            # the data file and its reader\n"
                       + "+  1-1-plant-registry: review                   # the data file and its reader\n"
                       + "*** End Patch\n")}],
    [{"exec": js_command("sh tests/registry.sh && sh tests/check.sh")}],
]

TOOLS_RESULT = {"status": "done", "summary": "plants_interval added, with tests/registry.sh"}


def tools_final_text(step):
    if "text" in step or "result" in step:
        return reply_text(step)
    return ("Added `plants_interval` to the registry (src/plants.sh) and a test for it, "
            "tests/registry.sh; it and tests/check.sh pass. Story 1.1 is in review.\n\n"
            "AUTOMATOR_RESULT " + json.dumps(TOOLS_RESULT, separators=(",", ":")))


def with_cwd(v, cwd):
    if isinstance(v, str):
        return v.replace("{cwd}", cwd)
    if isinstance(v, list):
        return [with_cwd(x, cwd) for x in v]
    if isinstance(v, dict):
        return {k: with_cwd(x, cwd) for k, x in v.items()}
    return v


def find_text(v, pattern):
    """The first match of pattern in any string of a decoded JSON value."""
    if isinstance(v, str):
        m = re.search(pattern, v)
        return m.group(1) if m else None
    for x in v.values() if isinstance(v, dict) else v if isinstance(v, list) else []:
        got = find_text(x, pattern)
        if got:
            return got
    return None


def claude_tool_turns(body):
    """How many replies with tool calls the conversation holds."""
    n = 0
    for m in body.get("messages") or []:
        c = m.get("content") if isinstance(m, dict) else None
        if m.get("role") == "assistant" and isinstance(c, list) and any(
                isinstance(b, dict) and b.get("type") == "tool_use" for b in c):
            n += 1
    return n


def codex_tool_turns(body):
    """How many tool calls the conversation holds (their outputs)."""
    return sum(1 for it in body.get("input") or []
               if isinstance(it, dict) and it.get("type") in (
                   "function_call_output", "custom_tool_call_output", "local_shell_call_output"))


def codex_tool_names(body):
    """The names of the tools a Codex request offers: its "tools", and those
    of its "additional_tools" input items (namespace.name)."""
    def names(tools, ns):
        out = []
        for t in tools or []:
            if not isinstance(t, dict):
                continue
            n = t.get("name") or t.get("type")
            if t.get("type") == "namespace":
                out.extend(names(t.get("tools"), n))
            else:
                out.append(ns + "." + n if ns and ns != "functions" else n)
        return out
    got = names(body.get("tools"), None)
    for it in body.get("input") or []:
        if isinstance(it, dict) and it.get("type") == "additional_tools":
            got.extend(names(it.get("tools"), None))
    return got


def claude_tools_message(body, step):
    script = step.get("calls", CLAUDE_TOOLS_SCRIPT)
    k = claude_tool_turns(body)
    if not body.get("tools") or k >= len(script):
        # the last reply, or a request of the CLI's own without tools
        return [{"type": "text", "text": tools_final_text(step)}], "end_turn"
    cwd = find_text(body.get("system"), r"Primary working directory: (\S+)") or \
        find_text(body.get("messages"), r"Primary working directory: (\S+)") or os.getcwd()
    blocks = []
    for b in with_cwd(script[k], cwd):
        if "tool" in b:
            blocks.append({"type": "tool_use", "id": "toolu_mock" + uuid.uuid4().hex[:16],
                           "name": b["tool"], "input": b.get("input", {})})
        else:
            blocks.append({"type": "text", "text": b.get("text", "")})
    return blocks, "tool_use"


def claude_message(body, step):
    """(content blocks, stop_reason) for a successful reply."""
    if step["name"] == "permission-denied" and not last_user_has_tool_result(body):
        cmd = step.get("command", "./tests/check.sh")
        return [{"type": "tool_use", "id": "toolu_mock" + uuid.uuid4().hex[:16],
                 "name": "Bash", "input": {"command": cmd, "description": "Run the checks"}}], "tool_use"
    if step["name"] == "tools":
        return claude_tools_message(body, step)
    return [{"type": "text", "text": reply_text(step)}], "end_turn"


def claude_usage(step):
    u = step.get("usage") or {}
    return {"input_tokens": int(u.get("input_tokens", 1200)),
            "cache_creation_input_tokens": int(u.get("cache_creation_input_tokens", 300)),
            "cache_read_input_tokens": int(u.get("cache_read_input_tokens", 4000)),
            "output_tokens": int(u.get("output_tokens", 42))}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "mockapi/1"

    def log_message(self, fmt, *a):  # quiet
        pass

    def read_body(self):
        n = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(n) if n > 0 else b""
        try:
            return raw, json.loads(raw) if raw else {}
        except ValueError:
            return raw, {}

    def send(self, status, body, headers=None, ctype="application/json"):
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, str(v))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def stream(self, chunks, headers=None):
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Connection", "close")
        for k, v in (headers or {}).items():
            self.send_header(k, str(v))
        self.end_headers()
        self.close_connection = True
        for c in chunks:
            self.wfile.write(c)
            self.wfile.flush()

    # -- dispatch

    def do_HEAD(self):
        self.send(200, b"", ctype="text/plain")
        log({"cli": "-", "method": "HEAD", "path": self.path, "status": 200})

    def do_GET(self):
        p = self.path.split("?")[0]
        if self.headers.get("Upgrade", "").lower() == "websocket":
            # Codex tries a Responses WebSocket first: refuse it, it falls
            # back to HTTPS.
            status = 426
            self.send(status, {"error": {"message": "websockets not supported by the mock"}})
        elif p.endswith("/models"):
            status = 200
            self.send(status, {"data": [], "models": [], "object": "list", "has_more": False})
        else:
            status = 404
            self.send(status, anthropic_error("not_found_error", "not found: " + p))
        log({"cli": "-", "method": "GET", "path": self.path, "status": status,
             "summary": "upgrade" if status == 426 else ""})

    def do_POST(self):
        raw, body = self.read_body()
        p = self.path.split("?")[0]
        with LOCK:
            sc = load_scenario()
        if p.endswith("/v1/messages/count_tokens"):
            self.send(200, {"input_tokens": max(1, len(raw) // 4)})
            log({"cli": "claude", "method": "POST", "path": self.path, "status": 200,
                 "summary": "count_tokens"})
        elif p.endswith("/v1/messages"):
            self.claude(body, sc)
        elif p.endswith("/responses"):
            self.codex(body, sc)
        else:
            # telemetry and anything else: accept and drop
            self.send(200, {})
            log({"cli": "-", "method": "POST", "path": self.path, "status": 200,
                 "summary": "%d bytes" % len(raw)})

    # -- Claude Code

    def claude(self, body, sc):
        with LOCK:
            step = pick("claude", sc)
        if step.get("delay"):
            time.sleep(float(step["delay"]))
        name = step["name"]
        summary = {"model": body.get("model"), "stream": bool(body.get("stream")),
                   "messages": len(body.get("messages") or []),
                   "tools": len(body.get("tools") or []),
                   "tool_result": last_user_has_tool_result(body),
                   "first_user": first_user_text(body.get("messages"))}
        status = 200
        ra = str(step.get("retry_after", 1))
        if name == "usage-limit":
            status = 429
            reset = step["_reset"]
            claim = step.get("claim", "five_hour")
            hdrs = {"anthropic-ratelimit-unified-status": "rejected",
                    "anthropic-ratelimit-unified-reset": reset,
                    "anthropic-ratelimit-unified-representative-claim": claim,
                    "anthropic-ratelimit-unified-fallback": "unavailable",
                    "anthropic-ratelimit-unified-overage-status": "rejected",
                    "anthropic-ratelimit-unified-overage-disabled-reason": step.get(
                        "overage_disabled_reason", "org_level_disabled"),
                    "retry-after": max(1, int(reset - now())),
                    "x-should-retry": "false"}
            if claim in ("five_hour", "seven_day", "seven_day_opus", "seven_day_sonnet"):
                key = "5h" if claim == "five_hour" else "7d"
                hdrs["anthropic-ratelimit-unified-%s-status" % key] = "rejected"
                hdrs["anthropic-ratelimit-unified-%s-reset" % key] = reset
                hdrs["anthropic-ratelimit-unified-%s-utilization" % key] = "1.0"
            self.send(status, anthropic_error("rate_limit_error", "This request would exceed your account's rate limit. Please try again later."), hdrs)
            summary["reset"] = reset
        elif name == "auth-expired":
            status = 401
            self.send(status, anthropic_error("authentication_error", "OAuth token has expired. Please obtain a new token or refresh your existing token."),
                      {"x-should-retry": "false"})
        elif name == "invalid-key":
            status = 401
            self.send(status, anthropic_error("authentication_error", "invalid x-api-key"),
                      {"x-should-retry": "false"})
        elif name == "credit":
            status = 400
            self.send(status, anthropic_error("invalid_request_error", "Your credit balance is too low to access the Anthropic API. Please go to Plans & Billing to upgrade or purchase credits."))
        elif name == "429":
            status = 429
            self.send(status, anthropic_error("rate_limit_error", "Number of request tokens has exceeded your per-minute rate limit (https://docs.claude.com/en/api/rate-limits); see the response headers for current usage. Please reduce the prompt length or the maximum tokens requested, or try again later. You may also contact sales at https://www.anthropic.com/contact-sales to discuss your options for a rate limit increase."),
                      {"retry-after": ra})
        elif name == "529":
            status = 529
            self.send(status, anthropic_error("overloaded_error", "Overloaded"))
        elif name == "500":
            status = 500
            self.send(status, anthropic_error("api_error", "Internal server error"))
        elif name == "raw":
            status = int(step.get("status", 500))
            self.send(status, step.get("body", {}), step.get("headers"))
        else:
            self.claude_success(body, step)
        summary["scenario"] = name
        if name == "tools":
            summary["tool_turns"] = claude_tool_turns(body)
            summary["tool_names"] = [t.get("name") for t in body.get("tools") or []
                                     if isinstance(t, dict)]
        log({"cli": "claude", "method": "POST", "path": self.path, "status": status,
             "scenario": name, "summary": summary})

    def claude_success(self, body, step):
        content, stop = claude_message(body, step)
        usage = claude_usage(step)
        model = body.get("model") or "claude-sonnet-4-5"
        mid = "msg_mock" + uuid.uuid4().hex[:20]
        hdrs = {"request-id": "req_mock" + uuid.uuid4().hex[:20],
                "anthropic-ratelimit-unified-status": "allowed"}
        if not body.get("stream"):
            msg = {"id": mid, "type": "message", "role": "assistant", "model": model,
                   "content": content, "stop_reason": stop, "stop_sequence": None,
                   "usage": usage}
            self.send(200, msg, hdrs)
            return
        start_usage = dict(usage)
        start_usage["output_tokens"] = 1
        chunks = [sse("message_start", {"type": "message_start", "message": {
            "id": mid, "type": "message", "role": "assistant", "model": model,
            "content": [], "stop_reason": None, "stop_sequence": None, "usage": start_usage}})]
        for i, block in enumerate(content):
            if block["type"] == "text":
                chunks.append(sse("content_block_start", {"type": "content_block_start", "index": i,
                                                          "content_block": {"type": "text", "text": ""}}))
                chunks.append(sse("ping", {"type": "ping"}))
                text = block["text"]
                for j in range(0, len(text), 40):
                    chunks.append(sse("content_block_delta", {"type": "content_block_delta", "index": i,
                                                              "delta": {"type": "text_delta", "text": text[j:j + 40]}}))
            else:
                chunks.append(sse("content_block_start", {"type": "content_block_start", "index": i,
                                                          "content_block": {"type": "tool_use", "id": block["id"],
                                                                            "name": block["name"], "input": {}}}))
                chunks.append(sse("content_block_delta", {"type": "content_block_delta", "index": i,
                                                          "delta": {"type": "input_json_delta",
                                                                    "partial_json": json.dumps(block["input"])}}))
            chunks.append(sse("content_block_stop", {"type": "content_block_stop", "index": i}))
        chunks.append(sse("message_delta", {"type": "message_delta",
                                            "delta": {"stop_reason": stop, "stop_sequence": None},
                                            "usage": {"output_tokens": usage["output_tokens"]}}))
        chunks.append(sse("message_stop", {"type": "message_stop"}))
        self.stream(chunks, hdrs)

    # -- Codex

    def codex(self, body, sc):
        with LOCK:
            step = pick("codex", sc)
        if step.get("delay"):
            time.sleep(float(step["delay"]))
        name = step["name"]
        summary = {"model": body.get("model"), "stream": bool(body.get("stream")),
                   "input": len(body.get("input") or []), "tools": len(body.get("tools") or []),
                   "first_user": first_user_text(body.get("input")),
                   "user_texts": user_texts(body.get("input"))}
        status = 200
        rid = "req_mock" + uuid.uuid4().hex[:20]
        if name == "usage-limit":
            status = 429
            reset = step["_reset"]
            err = {"type": "usage_limit_reached",
                   "message": "The usage limit has been reached",
                   "plan_type": step.get("plan", "pro"),
                   "resets_at": reset,
                   "resets_in_seconds": max(0, int(reset - now()))}
            hdrs = {"x-request-id": rid,
                    "x-codex-primary-used-percent": "100",
                    "x-codex-primary-window-minutes": "300",
                    "x-codex-primary-reset-at": reset,
                    "x-codex-primary-reset-after-seconds": max(0, int(reset - now())),
                    "x-codex-secondary-used-percent": "40",
                    "x-codex-secondary-window-minutes": "10080",
                    "x-codex-secondary-reset-at": reset + 86400}
            self.send(status, {"error": err}, hdrs)
            summary["reset"] = reset
        elif name == "quota":
            status = 429
            self.send(status, {"error": {"type": "insufficient_quota", "code": "insufficient_quota",
                                         "message": "You exceeded your current quota, please check your plan and billing details.",
                                         "param": None}}, {"x-request-id": rid})
        elif name == "401":
            status = 401
            self.send(status, {"error": {"type": "invalid_request_error", "code": "invalid_api_key",
                                         "message": "Incorrect API key provided: mock-key. You can find your API key at https://platform.openai.com/account/api-keys.",
                                         "param": None}}, {"x-request-id": rid})
        elif name == "429":
            status = 429
            self.send(status, {"error": {"type": "requests", "code": "rate_limit_exceeded",
                                         "message": "Rate limit reached for requests. Please try again in 1s.",
                                         "param": None}},
                      {"x-request-id": rid, "retry-after": step.get("retry_after", 1)})
        elif name == "500":
            status = 500
            self.send(status, {"error": {"type": "server_error", "code": None,
                                         "message": "The server had an error while processing your request. Sorry about that!",
                                         "param": None}}, {"x-request-id": rid})
        elif name == "raw":
            status = int(step.get("status", 500))
            self.send(status, step.get("body", {}), step.get("headers"))
        elif name == "tools":
            self.codex_tools(body, step, rid)
        else:
            self.codex_success(body, step, rid)
        summary["scenario"] = name
        if name == "tools":
            summary["tool_turns"] = codex_tool_turns(body)
            summary["tool_names"] = codex_tool_names(body)
        log({"cli": "codex", "method": "POST", "path": self.path, "status": status,
             "scenario": name, "summary": summary})

    def codex_success(self, body, step, rid):
        resp_id = "resp_mock" + uuid.uuid4().hex[:20]
        model = body.get("model") or "gpt-5"
        u = step.get("usage") or {}
        usage = {"input_tokens": int(u.get("input_tokens", 1200)),
                 "input_tokens_details": {"cached_tokens": int(u.get("cached_tokens", 400))},
                 "output_tokens": int(u.get("output_tokens", 42)),
                 "output_tokens_details": {"reasoning_tokens": int(u.get("reasoning_tokens", 0))}}
        usage["total_tokens"] = usage["input_tokens"] + usage["output_tokens"]
        text = reply_text(step)
        item = {"type": "message", "id": "msg_mock" + uuid.uuid4().hex[:16], "status": "completed",
                "role": "assistant",
                "content": [{"type": "output_text", "text": text, "annotations": []}]}
        base = {"id": resp_id, "object": "response", "created_at": int(now()), "model": model,
                "status": "in_progress", "output": []}
        done = dict(base, status="completed", output=[item], usage=usage)
        chunks = [sse("response.created", {"type": "response.created", "sequence_number": 0, "response": base}),
                  sse("response.in_progress", {"type": "response.in_progress", "sequence_number": 1, "response": base}),
                  sse("response.output_item.added", {"type": "response.output_item.added", "sequence_number": 2,
                                                     "output_index": 0, "item": dict(item, status="in_progress", content=[])}),
                  sse("response.output_text.delta", {"type": "response.output_text.delta", "sequence_number": 3,
                                                     "item_id": item["id"], "output_index": 0, "content_index": 0,
                                                     "delta": text}),
                  sse("response.output_item.done", {"type": "response.output_item.done", "sequence_number": 4,
                                                    "output_index": 0, "item": item}),
                  sse("response.completed", {"type": "response.completed", "sequence_number": 5, "response": done})]
        self.stream(chunks, {"x-request-id": rid})

    def codex_tools(self, body, step, rid):
        """A reply of the "tools" script: the turn's message and exec call,
        or the final message."""
        script = step.get("calls", CODEX_TOOLS_SCRIPT)
        k = codex_tool_turns(body)
        if k >= len(script):
            turn = [{"text": tools_final_text(step)}]
        else:
            cwd = find_text(body.get("input"), r"<cwd>([^<]+)</cwd>") or os.getcwd()
            turn = with_cwd(script[k], cwd)
        items = []
        for b in turn:
            if "exec" in b:
                items.append({"type": "custom_tool_call", "id": "ctc_mock" + uuid.uuid4().hex[:16],
                              "status": "completed", "call_id": "call_mock" + uuid.uuid4().hex[:16],
                              "name": "exec", "input": b["exec"]})
            else:
                items.append({"type": "message", "id": "msg_mock" + uuid.uuid4().hex[:16],
                              "status": "completed", "role": "assistant",
                              "content": [{"type": "output_text", "text": b.get("text", ""),
                                           "annotations": []}]})
        resp_id = "resp_mock" + uuid.uuid4().hex[:20]
        u = step.get("usage") or {}
        usage = {"input_tokens": int(u.get("input_tokens", 1200)),
                 "input_tokens_details": {"cached_tokens": int(u.get("cached_tokens", 400))},
                 "output_tokens": int(u.get("output_tokens", 42)),
                 "output_tokens_details": {"reasoning_tokens": int(u.get("reasoning_tokens", 0))}}
        usage["total_tokens"] = usage["input_tokens"] + usage["output_tokens"]
        base = {"id": resp_id, "object": "response", "created_at": int(now()),
                "model": body.get("model") or "gpt-5", "status": "in_progress", "output": []}
        seq = [0]

        def ev(kind, data):
            data = dict({"type": kind, "sequence_number": seq[0]}, **data)
            seq[0] += 1
            return sse(kind, data)

        chunks = [ev("response.created", {"response": base}),
                  ev("response.in_progress", {"response": base})]
        for i, item in enumerate(items):
            if item["type"] == "message":
                text = item["content"][0]["text"]
                chunks.append(ev("response.output_item.added", {
                    "output_index": i, "item": dict(item, status="in_progress", content=[])}))
                chunks.append(ev("response.output_text.delta", {
                    "item_id": item["id"], "output_index": i, "content_index": 0, "delta": text}))
            else:
                chunks.append(ev("response.output_item.added", {
                    "output_index": i, "item": dict(item, status="in_progress", input="")}))
                chunks.append(ev("response.custom_tool_call_input.delta", {
                    "item_id": item["id"], "output_index": i, "delta": item["input"]}))
                chunks.append(ev("response.custom_tool_call_input.done", {
                    "item_id": item["id"], "output_index": i, "input": item["input"]}))
            chunks.append(ev("response.output_item.done", {"output_index": i, "item": item}))
        chunks.append(ev("response.completed", {"response": dict(base, status="completed",
                                                                 output=items, usage=usage)}))
        self.stream(chunks, {"x-request-id": rid})


def main():
    global ARGS
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--scenario", required=True)
    ap.add_argument("--port-file")
    ap.add_argument("--log")
    ap.add_argument("--port", type=int, default=0)
    ARGS = ap.parse_args()
    srv = ThreadingHTTPServer(("127.0.0.1", ARGS.port), Handler)
    srv.daemon_threads = True
    port = srv.server_address[1]
    if ARGS.port_file:
        tmp = ARGS.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write("%d\n" % port)
        os.rename(tmp, ARGS.port_file)
    print(port, flush=True)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    sys.exit(main())
