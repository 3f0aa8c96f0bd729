#!/usr/bin/env python3
"""A loopback fake of the providers umpire speaks, for the scenario tests.

One server answers the documented wire format of each family on its own
path: OpenAI chat completions (/v1/chat/completions, also the presets;
under /local/ without a key, as a local server started without one),
Azure OpenAI (/openai/deployments/{d}/chat/completions?api-version=),
Anthropic messages (/v1/messages), Gemini generateContent
(/v1beta/models/{m}:generateContent and :streamGenerateContent?alt=sse) and
Bedrock Converse (/model/{id}/converse, with AWS Signature Version 4
checked the way AWS checks it) and ConverseStream (/model/{id}/converse-stream,
answering in the binary AWS event-stream framing: prelude, string headers,
payload, both CRC32s). Each checks its credentials and the
parameters a model family refuses (temperature or max_tokens for the gpt-5
family, temperature with Claude's thinking, temperature and top_p together
from Claude Opus 4.1 on, any sampling parameter from Opus 4.7 on, adaptive
thinking and output_config.effort before 4.6, a thinking budget from Opus
4.7 on), and answers 400 as the real API would when they are wrong.

What it answers is picked by the word after "SCENARIO" in the prompt:
normal, retry429 (429 with Retry-After: 1 the first time), 5xx (always
500), overflow (the family's context-overflow error), malformed (a 200 that
is not what the API promises; for ConverseStream, a message whose CRC does not
match), stall (a stream that stops sending), exception (ConverseStream: an
exception message after the first event). A
request that offers tools is an agent turn: the first asks to run a bash
command, the one that carries its result (in the family's own shape) calls
submit.

Usage: fake_provider.py PORT_FILE LOG_FILE [LIFETIME_S]. Binds 127.0.0.1 on
a port of its own, writes it to PORT_FILE, appends one JSON line per request
to LOG_FILE, and exits after LIFETIME_S seconds (default 120).
"""
import base64
import hashlib
import hmac
import json
import os
import re
import struct
import sys
import threading
import time
import urllib.parse
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

KEY = os.environ.get("FAKE_KEY", "sk-fake")
AWS_ID = os.environ.get("FAKE_AWS_ID", "AKIDFAKE")
AWS_SECRET = os.environ.get("FAKE_AWS_SECRET", "fake-secret")
ANSWER = "Let me think about it.\nAnswer: A"
SEEN = {}
LOCK = threading.Lock()
LOG = None


def log(entry):
    with LOCK:
        LOG.write(json.dumps(entry, sort_keys=True) + "\n")
        LOG.flush()


def first_time(key):
    with LOCK:
        n = SEEN.get(key, 0)
        SEEN[key] = n + 1
    return n == 0


def scenario_of(text):
    m = re.search(r"SCENARIO (\w+)", text)
    return m.group(1) if m else "normal"


# ---- what each family says ------------------------------------------------

ERRORS = {
    "openai": {
        "overflow": {"error": {"message": "This model's maximum context length is 128000 tokens. "
                               "However, your messages resulted in 200000 tokens.",
                               "type": "invalid_request_error", "param": "messages",
                               "code": "context_length_exceeded"}},
        "429": {"error": {"message": "Rate limit reached for requests", "type": "requests",
                          "code": "rate_limit_exceeded"}},
        "500": {"error": {"message": "The server had an error while processing your request.",
                          "type": "server_error"}},
    },
    "anthropic": {
        "overflow": {"type": "error", "error": {"type": "invalid_request_error",
                     "message": "prompt is too long: 210000 tokens > 200000 maximum"}},
        "429": {"type": "error", "error": {"type": "rate_limit_error",
                                           "message": "Number of requests has exceeded your rate limit"}},
        "500": {"type": "error", "error": {"type": "api_error", "message": "Internal server error"}},
    },
    "gemini": {
        "overflow": {"error": {"code": 400, "status": "INVALID_ARGUMENT",
                               "message": "The input token count (1200000) exceeds the maximum "
                               "number of tokens allowed (1048576)."}},
        "429": {"error": {"code": 429, "status": "RESOURCE_EXHAUSTED",
                          "message": "Resource has been exhausted (e.g. check quota)."}},
        "500": {"error": {"code": 500, "status": "INTERNAL",
                          "message": "An internal error has occurred."}},
    },
    "bedrock": {
        "overflow": {"message": "Input is too long for requested model."},
        "429": {"message": "Too many requests, please wait before trying again."},
        "500": {"message": "The server encountered an internal error."},
    },
}
ERROR_TYPE = {"overflow": "ValidationException", "429": "ThrottlingException",
              "500": "InternalServerException"}


class Refused(Exception):
    def __init__(self, status, body, headers=None):
        super().__init__(status)
        self.status, self.body, self.headers = status, body, headers or {}


def refuse(family, status, message):
    if family == "anthropic":
        body = {"type": "error", "error": {"type": "invalid_request_error", "message": message}}
    elif family == "bedrock":
        body = {"message": message}
    elif family == "gemini":
        body = {"error": {"code": status, "status": "INVALID_ARGUMENT", "message": message}}
    else:
        body = {"error": {"message": message, "type": "invalid_request_error"}}
    raise Refused(status, body)


# ---- requests in, neutral facts out ---------------------------------------

def claude_sampling(model):
    """What a Claude model takes of temperature / top_p: "both", "one" (from
    Opus 4.1 on, either but not both) or "none" (Opus 4.7 on)."""
    v = claude_version(model)
    if not v:
        return "both"  # claude-3-x-name and anything not Claude
    if v[0] == "opus" and v[1] >= 47:
        return "none"
    return "one" if v[1] >= 41 else "both"


def claude_version(model):
    """(family, version x 10) of a Claude model id, or None (Claude 3 and others)."""
    m = re.search(r"claude-(opus|sonnet|haiku)-(\d+)(?:-(\d)(?!\d))?", model)
    return (m.group(1), int(m.group(2)) * 10 + int(m.group(3) or 0)) if m else None


def claude_thinking_check(family, model, fields, max_tokens):
    """Claude's thinking and output_config as the API checks them: adaptive
    thinking with an effort from Opus / Sonnet 4.6 on, only adaptive from
    Opus 4.7 on (no budget), enabled thinking with a budget below max_tokens
    before."""
    v = claude_version(model)
    adaptive = v is not None and v[1] >= 46
    only_adaptive = v is not None and v[0] == "opus" and v[1] >= 47
    t, oc = fields.get("thinking"), fields.get("output_config")
    prefix = "The model returned the following errors: " if family == "bedrock" else ""
    if t is not None:
        if t.get("type") == "adaptive" and set(t) == {"type"}:
            if not adaptive:
                refuse(family, 400, prefix + "adaptive thinking is not supported on this model")
        elif t.get("type") == "enabled" and isinstance(t.get("budget_tokens"), int):
            if only_adaptive:
                refuse(family, 400, prefix + "thinking.type.enabled is not supported for this "
                       "model. Use thinking.type.adaptive and output_config.effort")
            if max_tokens is not None and t["budget_tokens"] >= max_tokens:
                refuse(family, 400, prefix + "max_tokens must be greater than "
                       "thinking.budget_tokens")
        else:
            refuse(family, 400, prefix + "thinking: malformed")
    if oc is not None:
        levels = ["low", "medium", "high"] + (["xhigh", "max"] if only_adaptive else ["max"])
        if not adaptive or set(oc) != {"effort"} or oc["effort"] not in levels:
            refuse(family, 400, prefix + "output_config.effort: not supported here")


def claude_sampling_check(family, model, params, names):
    """Refuses what the model does not take; names: its temperature, top_p, top_k keys."""
    kind = claude_sampling(model)
    prefix = "The model returned the following errors: " if family == "bedrock" else ""
    if kind == "none" and any(n in params for n in names):
        refuse(family, 400, prefix + "`temperature` is deprecated for this model.")
    if kind == "one" and names[0] in params and names[1] in params:
        refuse(family, 400, prefix + "`temperature` and `top_p` cannot both be specified for "
               "this model. Please use only one.")


MAGIC = {"image/png": b"\x89PNG\r\n\x1a\n", "image/jpeg": b"\xff\xd8\xff",
         "image/gif": b"GIF8", "image/webp": b"RIFF"}


def image_fact(family, facts, media_type, data):
    """An inline image as each API checks it: a known type, base64 that
    decodes, bytes that start as the type's do. Its sha256 goes in facts."""
    if media_type not in MAGIC:
        refuse(family, 400, f"unsupported image type {media_type!r}")
    try:
        raw = base64.b64decode(data, validate=True)
    except (ValueError, TypeError):
        refuse(family, 400, "image data is not valid base64")
    if not raw.startswith(MAGIC[media_type]):
        refuse(family, 400, f"image bytes are not {media_type}")
    facts.setdefault("images", []).append(hashlib.sha256(raw).hexdigest())


def openai_facts(body, model):
    facts = {"texts": [], "tools": bool(body.get("tools")), "result": None,
             "stream": bool(body.get("stream"))}
    model = model.split("/")[-1]  # a router's vendor/model
    if model.startswith("gpt-5") or model.startswith("o3"):
        for p in ("temperature", "top_p"):
            if p in body:
                refuse("openai", 400, f"Unsupported parameter: '{p}' is not supported with "
                       "this model.")
        if "max_tokens" in body:
            refuse("openai", 400, "Unsupported parameter: 'max_tokens' is not supported with "
                   "this model. Use 'max_completion_tokens' instead.")
    if model.startswith("o3") and body.get("reasoning_effort", "low") not in (
            "low", "medium", "high"):
        refuse("openai", 400, "Unsupported value: 'reasoning_effort' does not support "
               f"'{body['reasoning_effort']}' with this model.")
    if facts["stream"] and body.get("stream_options") != {"include_usage": True}:
        refuse("openai", 400, "a streamed test call must ask for include_usage")
    calls = {}
    for m in body["messages"]:
        if isinstance(m.get("content"), str):
            facts["texts"].append(m["content"])
        for part in m["content"] if isinstance(m.get("content"), list) else []:
            if part["type"] == "text":
                facts["texts"].append(part["text"])
            elif part["type"] == "image_url":
                url = re.fullmatch(r"data:([\w/]+);base64,(.*)", part["image_url"]["url"], re.S)
                if not url:
                    refuse("openai", 400, "image_url must be a data: URL here")
                image_fact("openai", facts, url.group(1), url.group(2))
            else:
                refuse("openai", 400, f"unknown content part type {part['type']!r}")
        for tc in m.get("tool_calls") or []:
            calls[tc["id"]] = tc["function"]["name"]
        if m["role"] == "tool":
            if m.get("tool_call_id") not in calls:
                refuse("openai", 400, "tool message answers no tool call")
            facts["result"] = m["content"]
    return facts


def anthropic_facts(body, model):
    facts = {"texts": [], "tools": bool(body.get("tools")), "result": None,
             "stream": bool(body.get("stream")), "thinking": "thinking" in body}
    if "max_tokens" not in body:
        refuse("anthropic", 400, "max_tokens: Field required")
    claude_sampling_check("anthropic", model, body, ("temperature", "top_p", "top_k"))
    claude_thinking_check("anthropic", model, body, body["max_tokens"])
    if "thinking" in body:
        for p in ("temperature", "top_k"):
            if p in body:
                refuse("anthropic", 400, f"`{p}` may only be set to 1 when thinking is enabled")
    if isinstance(body.get("system"), str):
        facts["texts"].append(body["system"])
    uses = {}
    for m in body["messages"]:
        c = m["content"]
        if isinstance(c, str):
            facts["texts"].append(c)
            continue
        for b in c:
            if b["type"] == "text":
                facts["texts"].append(b["text"])
            elif b["type"] == "image":
                if b["source"].get("type") != "base64":
                    refuse("anthropic", 400, "image source must be base64 here")
                image_fact("anthropic", facts, b["source"]["media_type"], b["source"]["data"])
            elif b["type"] == "tool_use":
                uses[b["id"]] = b
            elif b["type"] == "tool_result":
                if b["tool_use_id"] not in uses:
                    refuse("anthropic", 400, "tool_result answers no tool_use")
                facts["result"] = b["content"]
        if m["role"] == "assistant" and facts["thinking"] and any(
                b["type"] == "tool_use" for b in c) and c[0]["type"] != "thinking":
            refuse("anthropic", 400, "Expected `thinking` as the first block of an assistant "
                   "message with tool_use when thinking is enabled")
    return facts


def gemini_facts(body, model):
    facts = {"texts": [], "tools": bool(body.get("tools")), "result": None}
    cfg = body.get("generationConfig", {})
    tc = cfg.get("thinkingConfig", {})
    if "thinkingLevel" in tc and "thinkingBudget" in tc:
        refuse("gemini", 400, "thinking_level and thinking_budget cannot be used together")
    if model.startswith("gemini-2.5") and "thinkingLevel" in tc:
        refuse("gemini", 400, "Thinking level is not supported for this model.")
    levels = ("low", "high") if model.startswith("gemini-3-pro") else (
        "minimal", "low", "medium", "high")
    if "thinkingLevel" in tc and tc["thinkingLevel"] not in levels:
        refuse("gemini", 400, f"Invalid value at 'generation_config.thinking_config."
               f"thinking_level' ({tc['thinkingLevel']})")
    for k in cfg:
        if k not in ("temperature", "topP", "topK", "maxOutputTokens", "stopSequences", "seed",
                     "thinkingConfig", "presencePenalty", "frequencyPenalty"):
            refuse("gemini", 400, f"Invalid JSON payload received. Unknown name \"{k}\"")
    for p in body.get("systemInstruction", {}).get("parts", []):
        facts["texts"].append(p["text"])
    for c in body["contents"]:
        if c["role"] not in ("user", "model"):
            refuse("gemini", 400, "role must be user or model")
        for p in c["parts"]:
            if "text" in p:
                facts["texts"].append(p["text"])
            if "inlineData" in p:
                image_fact("gemini", facts, p["inlineData"]["mimeType"], p["inlineData"]["data"])
            if "functionResponse" in p:
                fr = p["functionResponse"]
                if not fr.get("name") or not isinstance(fr.get("response"), dict):
                    refuse("gemini", 400, "functionResponse needs name and response")
                facts["result"] = fr["response"].get("content")
    return facts


def bedrock_facts(body, model):
    facts = {"texts": [], "tools": bool(body.get("toolConfig")), "result": None}
    for k in body:
        if k not in ("messages", "system", "inferenceConfig", "toolConfig",
                     "additionalModelRequestFields"):
            refuse("bedrock", 400, f"Malformed input request: extraneous key [{k}]")
    if "anthropic.claude" in model:
        claude_sampling_check("bedrock", model, body.get("inferenceConfig", {}),
                              ("temperature", "topP", "topK"))
        claude_thinking_check("bedrock", model, body.get("additionalModelRequestFields", {}),
                              body.get("inferenceConfig", {}).get("maxTokens"))
    for p in body.get("system", []):
        facts["texts"].append(p["text"])
    uses = set()
    for m in body["messages"]:
        for b in m["content"]:
            if "text" in b:
                facts["texts"].append(b["text"])
            if "image" in b:
                fmt = b["image"]["format"]
                if fmt not in ("png", "jpeg", "gif", "webp"):
                    refuse("bedrock", 400, f"Malformed input request: image format {fmt}")
                image_fact("bedrock", facts, "image/" + fmt, b["image"]["source"]["bytes"])
            if "toolUse" in b:
                uses.add(b["toolUse"]["toolUseId"])
            if "toolResult" in b:
                if b["toolResult"]["toolUseId"] not in uses:
                    refuse("bedrock", 400, "toolResult answers no toolUse")
                facts["result"] = b["toolResult"]["content"][0]["text"]
    return facts


# ---- answers in each family's shape -----------------------------------------

def agent_step(facts):
    """The tool call of this agent turn: bash first, submit once a result came back."""
    if facts["result"] is None:
        return ("bash", {"command": "echo fake-agent > answer.txt"})
    return ("submit", {})


def openai_answer(model, tool):
    msg = {"role": "assistant", "content": ANSWER}
    finish = "stop"
    if tool:
        msg = {"role": "assistant", "content": None, "tool_calls": [
            {"id": "call_" + tool[0], "type": "function",
             "function": {"name": tool[0], "arguments": json.dumps(tool[1])}}]}
        finish = "tool_calls"
    return {"id": "chatcmpl-fake", "object": "chat.completion", "created": 1, "model": model,
            "system_fingerprint": "fp_fake",
            "choices": [{"index": 0, "message": msg, "finish_reason": finish}],
            "usage": {"prompt_tokens": 120, "completion_tokens": 80, "total_tokens": 200,
                      "prompt_tokens_details": {"cached_tokens": 20},
                      "completion_tokens_details": {"reasoning_tokens": 64}}}


def openai_stream(model, tool):
    whole = openai_answer(model, tool)
    msg = whole["choices"][0]["message"]
    base = {"id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": 1,
            "model": model, "system_fingerprint": "fp_fake"}
    out = [dict(base, choices=[{"index": 0, "delta": {"role": "assistant", "content": ""},
                                "finish_reason": None}])]
    if tool:
        args = msg["tool_calls"][0]["function"]["arguments"]
        out.append(dict(base, choices=[{"index": 0, "delta": {"tool_calls": [
            {"index": 0, "id": "call_" + tool[0], "type": "function",
             "function": {"name": tool[0], "arguments": args[:3]}}]}, "finish_reason": None}]))
        out.append(dict(base, choices=[{"index": 0, "delta": {"tool_calls": [
            {"index": 0, "function": {"arguments": args[3:]}}]}, "finish_reason": None}]))
    else:
        for piece in (ANSWER[:9], ANSWER[9:]):
            out.append(dict(base, choices=[{"index": 0, "delta": {"content": piece},
                                            "finish_reason": None}]))
    out.append(dict(base, choices=[{"index": 0, "delta": {},
                                    "finish_reason": whole["choices"][0]["finish_reason"]}]))
    out.append(dict(base, choices=[], usage=whole["usage"]))
    return ["data: " + json.dumps(c) + "\n\n" for c in out] + ["data: [DONE]\n\n"]


def anthropic_answer(model, tool, thinking):
    content = []
    if thinking:
        content.append({"type": "thinking", "thinking": "The first choice fits.",
                        "signature": "sig-fake-1"})
    if tool:
        content.append({"type": "tool_use", "id": "toolu_" + tool[0], "name": tool[0],
                        "input": tool[1]})
    else:
        content.append({"type": "text", "text": ANSWER})
    return {"id": "msg_fake", "type": "message", "role": "assistant", "model": model,
            "content": content, "stop_reason": "tool_use" if tool else "end_turn",
            "stop_sequence": None,
            "usage": {"input_tokens": 100, "cache_creation_input_tokens": 30,
                      "cache_read_input_tokens": 20, "output_tokens": 80}}


def anthropic_stream(model, tool, thinking):
    whole = anthropic_answer(model, tool, thinking)
    start = dict(whole, content=[], stop_reason=None,
                 usage=dict(whole["usage"], output_tokens=1))
    ev = [("message_start", {"type": "message_start", "message": start}),
          ("ping", {"type": "ping"})]
    for i, b in enumerate(whole["content"]):
        if b["type"] == "thinking":
            ev.append(("content_block_start", {"type": "content_block_start", "index": i,
                       "content_block": {"type": "thinking", "thinking": ""}}))
            ev.append(("content_block_delta", {"type": "content_block_delta", "index": i,
                       "delta": {"type": "thinking_delta", "thinking": b["thinking"]}}))
            ev.append(("content_block_delta", {"type": "content_block_delta", "index": i,
                       "delta": {"type": "signature_delta", "signature": b["signature"]}}))
        elif b["type"] == "text":
            ev.append(("content_block_start", {"type": "content_block_start", "index": i,
                       "content_block": {"type": "text", "text": ""}}))
            for piece in (b["text"][:9], b["text"][9:]):
                ev.append(("content_block_delta", {"type": "content_block_delta", "index": i,
                           "delta": {"type": "text_delta", "text": piece}}))
        else:
            ev.append(("content_block_start", {"type": "content_block_start", "index": i,
                       "content_block": dict(b, input={})}))
            js = json.dumps(b["input"])
            for piece in (js[:2], js[2:]):
                ev.append(("content_block_delta", {"type": "content_block_delta", "index": i,
                           "delta": {"type": "input_json_delta", "partial_json": piece}}))
        ev.append(("content_block_stop", {"type": "content_block_stop", "index": i}))
    ev.append(("message_delta", {"type": "message_delta",
               "delta": {"stop_reason": whole["stop_reason"], "stop_sequence": None},
               "usage": {"output_tokens": 80}}))
    ev.append(("message_stop", {"type": "message_stop"}))
    return ["event: %s\ndata: %s\n\n" % (n, json.dumps(d)) for n, d in ev]


def gemini_answer(model, tool):
    parts = [{"text": "The first choice fits.", "thought": True}]
    if tool:
        parts.append({"functionCall": {"name": tool[0], "args": tool[1]},
                      "thoughtSignature": "c2lnLWZha2U="})
    else:
        parts.append({"text": ANSWER})
    return {"candidates": [{"content": {"role": "model", "parts": parts},
                            "finishReason": "STOP", "index": 0}],
            "usageMetadata": {"promptTokenCount": 120, "candidatesTokenCount": 16,
                              "thoughtsTokenCount": 64, "cachedContentTokenCount": 20,
                              "totalTokenCount": 200},
            "modelVersion": model, "responseId": "resp-fake"}


def gemini_stream(model, tool):
    whole = gemini_answer(model, tool)
    parts = whole["candidates"][0]["content"]["parts"]
    chunks = [{"candidates": [{"content": {"role": "model", "parts": [
        {"text": "The first ", "thought": True}]}, "index": 0}],
        "modelVersion": model, "responseId": "resp-fake"},
        {"candidates": [{"content": {"role": "model", "parts": [
            {"text": "choice fits.", "thought": True}]}, "index": 0}],
         "modelVersion": model, "responseId": "resp-fake"}]
    last = parts[1]
    if "text" in last:
        chunks.append({"candidates": [{"content": {"role": "model", "parts": [
            {"text": last["text"][:9]}]}, "index": 0}], "modelVersion": model,
            "responseId": "resp-fake"})
        last = {"text": last["text"][9:]}
    chunks.append({"candidates": [{"content": {"role": "model", "parts": [last]},
                                   "finishReason": "STOP", "index": 0}],
                   "usageMetadata": whole["usageMetadata"], "modelVersion": model,
                   "responseId": "resp-fake"})
    return ["data: " + json.dumps(c) + "\r\n\r\n" for c in chunks]


def bedrock_answer(model, tool):
    content = [{"reasoningContent": {"reasoningText": {"text": "The first choice fits.",
                                                       "signature": "sig-fake-2"}}}]
    if tool:
        content.append({"toolUse": {"toolUseId": "tooluse_" + tool[0], "name": tool[0],
                                    "input": tool[1]}})
    else:
        content.append({"text": ANSWER})
    return {"output": {"message": {"role": "assistant", "content": content}},
            "stopReason": "tool_use" if tool else "end_turn",
            "usage": {"inputTokens": 100, "outputTokens": 80, "totalTokens": 230,
                      "cacheReadInputTokens": 20, "cacheWriteInputTokens": 30},
            "metrics": {"latencyMs": 12}}


# ---- the AWS event stream (ConverseStream) --------------------------------

def es_frame(headers, payload):
    """One event-stream message: prelude (total and header lengths, their
    CRC32), string-typed headers (type 7), the payload, the message CRC32."""
    hb = b""
    for name, value in headers.items():
        n, v = name.encode(), value.encode()
        hb += bytes([len(n)]) + n + b"\x07" + struct.pack(">H", len(v)) + v
    prelude = struct.pack(">II", 12 + len(hb) + len(payload) + 4, len(hb))
    msg = prelude + struct.pack(">I", zlib.crc32(prelude)) + hb + payload
    return msg + struct.pack(">I", zlib.crc32(msg))


def es_event(kind, obj):
    obj = dict(obj, p="abcdefghij"[:len(kind) % 10])  # Bedrock pads events with "p"
    return es_frame({":event-type": kind, ":content-type": "application/json",
                     ":message-type": "event"}, json.dumps(obj).encode())


def bedrock_stream(model, tool, scen):
    whole = bedrock_answer(model, tool)
    ev = [es_event("messageStart", {"role": "assistant"})]
    if scen == "exception":
        return ev + [es_frame({":exception-type": "modelStreamErrorException",
                               ":content-type": "application/json",
                               ":message-type": "exception"},
                              json.dumps({"message": "The model stopped mid-stream.",
                                          "originalStatusCode": 500}).encode())]
    ev += [es_event("contentBlockDelta", {"contentBlockIndex": 0, "delta": {
               "reasoningContent": {"text": "The first choice "}}}),
           es_event("contentBlockDelta", {"contentBlockIndex": 0, "delta": {
               "reasoningContent": {"text": "fits."}}}),
           es_event("contentBlockDelta", {"contentBlockIndex": 0, "delta": {
               "reasoningContent": {"signature": "sig-fake-2"}}}),
           es_event("contentBlockStop", {"contentBlockIndex": 0})]
    if tool:
        args = json.dumps(tool[1])
        ev += [es_event("contentBlockStart", {"contentBlockIndex": 1, "start": {"toolUse": {
                   "toolUseId": "tooluse_" + tool[0], "name": tool[0]}}}),
               es_event("contentBlockDelta", {"contentBlockIndex": 1,
                                              "delta": {"toolUse": {"input": args[:5]}}}),
               es_event("contentBlockDelta", {"contentBlockIndex": 1,
                                              "delta": {"toolUse": {"input": args[5:]}}})]
    else:
        ev += [es_event("contentBlockDelta", {"contentBlockIndex": 1,
                                              "delta": {"text": ANSWER[:9]}}),
               es_event("contentBlockDelta", {"contentBlockIndex": 1,
                                              "delta": {"text": ANSWER[9:]}})]
    ev += [es_event("contentBlockStop", {"contentBlockIndex": 1}),
           es_event("messageStop", {"stopReason": whole["stopReason"]}),
           es_event("metadata", {"usage": whole["usage"], "metrics": whole["metrics"]})]
    if scen == "malformed":  # one byte of the third message's payload flipped
        bad = bytearray(ev[2])
        bad[len(bad) - 8] ^= 0x01
        ev[2] = bytes(bad)
    return ev


# ---- AWS Signature Version 4, as AWS checks it ------------------------------

def sigv4_check(handler, body):
    auth = handler.headers.get("Authorization", "")
    m = re.match(r"AWS4-HMAC-SHA256 Credential=([^/]+)/(\d{8})/([^/]+)/([^/]+)/aws4_request, "
                 r"SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$", auth)
    if not m:
        refuse("bedrock", 403, "Authorization header requires AWS4-HMAC-SHA256")
    akid, day, region, service, signed, sig = m.groups()
    if akid != AWS_ID or service != "bedrock":
        refuse("bedrock", 403, "The security token included in the request is invalid.")
    amz_date = handler.headers.get("x-amz-date", "")
    path, _, query = handler.path.partition("?")
    # non-S3 services: each segment of the (already encoded) path is encoded again
    canon_path = "/".join(urllib.parse.quote(seg, safe="-_.~") for seg in path.split("/"))
    names = signed.split(";")
    canon_headers = "".join(f"{n}:{' '.join(handler.headers.get(n, '').split())}\n"
                            for n in names)
    creq = "\n".join(["POST", canon_path, query, canon_headers, signed,
                      hashlib.sha256(body).hexdigest()])
    scope = f"{day}/{region}/{service}/aws4_request"
    sts = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope,
                     hashlib.sha256(creq.encode()).hexdigest()])
    k = ("AWS4" + AWS_SECRET).encode()
    for part in (day, region, service, "aws4_request"):
        k = hmac.new(k, part.encode(), hashlib.sha256).digest()
    want = hmac.new(k, sts.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(want, sig):
        refuse("bedrock", 403, "The request signature we calculated does not match the "
               "signature you provided.")
    return region


# ---- the server ---------------------------------------------------------------

class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def send(self, status, body, headers=None, ctype="application/json"):
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def send_stream(self, events, stall=False, ctype="text/event-stream"):
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True
        if ctype == "text/event-stream":
            self.wfile.write(b": keep-alive\n\n")
        for i, e in enumerate(events):
            if stall and i == 1:
                time.sleep(8)
                return
            time.sleep(0.03)
            self.wfile.write(e if isinstance(e, bytes) else e.encode())
            self.wfile.flush()

    def route(self):
        path, _, query = self.path.partition("?")
        q = urllib.parse.parse_qs(query)
        if path.endswith("/chat/completions"):
            if path.startswith("/openai/deployments/"):
                dep = path.split("/")[3]
                if "api-version" not in q:
                    refuse("openai", 404, "Resource not found")
                if self.headers.get("api-key") != KEY:
                    raise Refused(401, {"error": {"code": "401", "message": "Access denied due "
                                        "to invalid subscription key."}})
                return "openai", "azure:" + dep, False
            # under /local/, a local server (vLLM, SGLang, ollama) started
            # without a key: it takes requests without one
            if (self.headers.get("Authorization") != "Bearer " + KEY and
                    not (path.startswith("/local/") and "Authorization" not in self.headers)):
                refuse("openai", 401, "Incorrect API key provided")
            return "openai", None, False
        if path.endswith("/messages"):
            if self.headers.get("x-api-key") != KEY or not self.headers.get("anthropic-version"):
                refuse("anthropic", 401, "invalid x-api-key")
            return "anthropic", None, False
        m = re.match(r".*/models/([^/:]+):(generateContent|streamGenerateContent)$", path)
        if m:
            if self.headers.get("x-goog-api-key") != KEY:
                refuse("gemini", 403, "API key not valid. Please pass a valid API key.")
            stream = m.group(2) == "streamGenerateContent"
            if stream and q.get("alt") != ["sse"]:
                refuse("gemini", 400, "a streamed test call must ask for alt=sse")
            return "gemini", urllib.parse.unquote(m.group(1)), stream
        m = re.match(r"/model/([^/]+)/(converse|converse-stream)$", path)
        if m:
            return "bedrock", urllib.parse.unquote(m.group(1)), m.group(2) == "converse-stream"
        raise Refused(404, {"error": {"message": "no such route " + path}})

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        raw = self.rfile.read(n)
        entry = {"path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()
                                                if k.lower() not in ("authorization", "api-key",
                                                                     "x-api-key",
                                                                     "x-goog-api-key")}}
        try:
            family, name, stream = self.route()
            if family == "bedrock" and not self.headers.get("Authorization", "").startswith(
                    "Bearer "):
                entry["region"] = sigv4_check(self, raw)
            body = json.loads(raw)
            entry["body"] = body
            model = name if family in ("gemini", "bedrock") else body.get("model", "")
            if name and name.startswith("azure:"):
                model = body.get("model", "")
            facts = {"openai": openai_facts, "anthropic": anthropic_facts,
                     "gemini": gemini_facts, "bedrock": bedrock_facts}[family](body, model)
            stream = stream or facts.get("stream", False)
            text = "\n".join(t for t in facts["texts"] if isinstance(t, str))
            scen = scenario_of(text)
            entry.update(family=family, model=model, scenario=scen, stream=stream)
            if facts.get("images"):
                entry["images"] = facts["images"]
            self.answer(family, model, scen, stream, facts, text)
            log(entry)
        except Refused as r:
            entry.update(refused=r.status, error=r.body)
            log(entry)
            self.send(r.status, r.body, r.headers)

    def answer(self, family, model, scen, stream, facts, text):
        hdr = {"openai": {"x-ratelimit-limit-requests": "500",
                          "x-ratelimit-remaining-requests": "499",
                          "x-ratelimit-limit-tokens": "150000",
                          "x-ratelimit-remaining-tokens": "149000"},
               "anthropic": {"anthropic-ratelimit-requests-limit": "50",
                             "anthropic-ratelimit-requests-remaining": "49",
                             "anthropic-ratelimit-tokens-limit": "80000",
                             "anthropic-ratelimit-tokens-remaining": "79000"}}.get(family, {})
        errs = ERRORS[family]

        def typed(kind, h=None):
            h = dict(h or {})
            if family == "bedrock":
                h["x-amzn-ErrorType"] = ERROR_TYPE[kind]
            return h
        if scen == "retry429" and first_time((family, model, text, stream)):
            raise Refused(429, errs["429"], typed("429", {"Retry-After": "1"}))
        if scen == "5xx":
            raise Refused(500, errs["500"], typed("500"))
        if scen == "overflow":
            raise Refused(400, errs["overflow"], typed("overflow"))
        tool = agent_step(facts) if facts["tools"] else None
        if stream and family == "bedrock":
            return self.send_stream(bedrock_stream(model, tool, scen), stall=scen == "stall",
                                    ctype="application/vnd.amazon.eventstream")
        if scen == "malformed":
            if stream:
                return self.send_stream(["data: {\"choices\": [{\"delta\": 7}]}\n\n",
                                         "event: x\ndata: not json\n\n"])
            return self.send(200, b'{"id": "x", "choices": [{"message": {"content": 42}}]',
                             hdr)
        thinking = facts.get("thinking", False)
        if stream:
            events = {"openai": lambda: openai_stream(model, tool),
                      "anthropic": lambda: anthropic_stream(model, tool, thinking),
                      "gemini": lambda: gemini_stream(model, tool)}[family]()
            return self.send_stream(events, stall=scen == "stall")
        whole = {"openai": lambda: openai_answer(model, tool),
                 "anthropic": lambda: anthropic_answer(model, tool, thinking),
                 "gemini": lambda: gemini_answer(model, tool),
                 "bedrock": lambda: bedrock_answer(model, tool)}[family]()
        self.send(200, whole, hdr)


def main():
    global LOG
    port_file, log_file = sys.argv[1], sys.argv[2]
    lifetime = float(sys.argv[3]) if len(sys.argv) > 3 else 120
    LOG = open(log_file, "a")
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    threading.Timer(lifetime, srv.shutdown).start()
    with open(port_file + ".tmp", "w") as f:
        f.write(str(srv.server_address[1]))
    os.rename(port_file + ".tmp", port_file)
    srv.serve_forever()


if __name__ == "__main__":
    main()
