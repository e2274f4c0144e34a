"""Every kind of payment and order command, written from Python with bursar_commands (docs/producers.md).

Environment: BURSAR_BOOTSTRAP, BURSAR_REGISTRY, BURSAR_GATEWAY, BURSAR_ADMIN_KEY, and
BURSAR_PARTNER / BURSAR_CATEGORY (keys murmur2 and CRC32 put on the same partition or not: the test
chooses), BURSAR_PARTITIONER (murmur2_random or consistent_random).
Prints one JSON object: {"payments": {commandId: result}, "orders": {commandId: result}}, where a result is
{"intended": kind, "type": ..., "outcome": ..., "reason": ...}.
"""
import datetime
import json
import os
import urllib.request

from bursar_commands import command, producer, results, send

PARTNER = os.environ["BURSAR_PARTNER"]
CATEGORY = os.environ["BURSAR_CATEGORY"]
PARTITIONER = os.environ["BURSAR_PARTITIONER"]
PREFIX = os.environ.get("BURSAR_PREFIX", "py")


def eur(minor):
    return {"amountMinor": minor, "currency": "EUR"}


# Each payload's tag: the one field named after its branch, holding the branch's one symbol.
TAGS = {"credit": "CREDIT", "debit": "DEBIT", "holdFunds": "HOLD_FUNDS", "captureHold": "CAPTURE_HOLD",
        "releaseHold": "RELEASE_HOLD", "requestPayment": "REQUEST_PAYMENT", "refundPayment": "REFUND_PAYMENT",
        "upsertItem": "UPSERT_ITEM", "createOrder": "CREATE_ORDER", "placeOrder": "PLACE_ORDER",
        "cancelOrder": "CANCEL_ORDER"}


def kind(payload):
    """The branch a payload is meant for."""
    return next(payload[field] for field in TAGS if field in payload)


def summary(sent, events):
    return {c["commandId"]: {"intended": kind(c["payload"]), "type": events[c["commandId"]]["type"],
                             "outcome": events[c["commandId"]]["outcome"], "reason": events[c["commandId"]]["reason"]}
            for c in sent}


def wait_for_order(order_id, statuses):
    """Long-polls the gateway until the order's status is one of statuses."""
    for _ in range(30):
        request = urllib.request.Request(os.environ["BURSAR_GATEWAY"] + "/v1/orders/" + order_id + "?waitMs=2000",
                                         headers={"Authorization": "Bearer " + os.environ["BURSAR_ADMIN_KEY"]})
        try:
            with urllib.request.urlopen(request, timeout=10) as answer:
                if json.load(answer)["status"] in statuses:
                    return
        except urllib.error.HTTPError as error:
            if error.code != 404:
                raise
    raise TimeoutError(order_id + " never reached " + str(statuses))


p = producer(PARTITIONER)
since = datetime.datetime.now(datetime.timezone.utc)

pay = "%s-pay-1" % PREFIX
payments = [command("partnerId", PARTNER, payload, "%s-%d" % (PREFIX, i)) for i, payload in enumerate([
    {"credit": "CREDIT", "amount": eur(10_000)},
    {"debit": "DEBIT", "amount": eur(1_500)},
    {"holdFunds": "HOLD_FUNDS", "holdId": "h1", "amount": eur(2_000), "ttlMs": 600_000},
    {"captureHold": "CAPTURE_HOLD", "holdId": "h1", "amount": eur(1_200)},
    {"holdFunds": "HOLD_FUNDS", "holdId": "h2", "amount": eur(1_000), "ttlMs": 600_000},
    {"releaseHold": "RELEASE_HOLD", "holdId": "h2"},
    {"requestPayment": "REQUEST_PAYMENT", "paymentId": pay, "amount": eur(300), "method": "BALANCE", "providerId": None,
     "orderId": None, "categoryId": None},
    {"refundPayment": "REFUND_PAYMENT", "paymentId": pay},
])]
for c in payments:
    send(p, "payment-commands", PARTNER, c)
p.flush(10)
out = {"payments": summary(payments, results("payment-events", [c["commandId"] for c in payments], since))}

if PARTITIONER == "murmur2_random":
    def order(order_id, quantity):
        return {"createOrder": "CREATE_ORDER", "orderId": order_id, "batch": 0, "batches": 1, "parentOrderId": None,
                "customerId": "cust-1", "partnerId": PARTNER, "items": [{"itemId": PREFIX + "-dune",
                                                                         "quantity": quantity}],
                "holdTtlMs": 600_000, "allowPartial": False, "paymentMethod": "BALANCE", "providerId": None,
                "placeOnPayment": False}

    first = [command("categoryId", CATEGORY, payload, "%s-o%d" % (PREFIX, i)) for i, payload in enumerate([
        {"upsertItem": "UPSERT_ITEM", "itemId": PREFIX + "-dune", "name": "Dune", "price": eur(900), "stockSet": 10,
         "stockDelta": None},
        order(PREFIX + "-order-1", 2),
        order(PREFIX + "-order-2", 1),
        {"cancelOrder": "CANCEL_ORDER", "orderId": PREFIX + "-order-2"},
    ])]
    for c in first:
        send(p, "order-commands", CATEGORY, c)
    p.flush(10)
    events = results("order-events", [c["commandId"] for c in first], since)
    # PlaceOrder is accepted only once the order is paid: wait for it as a client would, through the gateway.
    wait_for_order(PREFIX + "-order-1", {"PAID"})
    place = command("categoryId", CATEGORY, {"placeOrder": "PLACE_ORDER", "orderId": PREFIX + "-order-1"},
                    PREFIX + "-o-place")
    send(p, "order-commands", CATEGORY, place)
    p.flush(10)
    events.update(results("order-events", [place["commandId"]], since))
    out["orders"] = summary(first + [place], events)
else:
    upsert = command("categoryId", CATEGORY, {"upsertItem": "UPSERT_ITEM", "itemId": PREFIX + "-dune", "name": "Dune",
                                              "price": eur(900), "stockSet": 10, "stockDelta": None},
                     PREFIX + "-o0")
    send(p, "order-commands", CATEGORY, upsert)
    p.flush(10)
    out["orders"] = summary([upsert], results("order-events", [upsert["commandId"]], since))

print(json.dumps(out))
