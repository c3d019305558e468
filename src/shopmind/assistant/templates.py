"""What the assistant says, in Chinese and English. Facts are filled in from cited sources only."""

from __future__ import annotations

from typing import Any

__all__ = ["STATUS", "say"]

STATUS = {
    "zh": {
        "created": "已下单，等待付款",
        "paid": "已付款，等待发货",
        "shipped": "已发货，正在运输途中",
        "delivered": "已签收",
        "completed": "已完成",
        "cancelled": "已取消",
        "returned": "已退货",
        "refunded": "已退款",
    },
    "en": {
        "created": "placed and awaiting payment",
        "paid": "paid and waiting to be shipped",
        "shipped": "shipped and on its way",
        "delivered": "delivered",
        "completed": "completed",
        "cancelled": "cancelled",
        "returned": "returned",
        "refunded": "refunded",
    },
}

_T: dict[str, dict[str, str]] = {
    "greeting": {
        "zh": "您好！我是店铺的智能客服，24 小时在线。可以帮您查订单和物流、办理退换货、解答商品问题、推荐商品；需要人工随时说“转人工”。",
        "en": "Hello! I'm the shop's assistant, here 24/7. I can check your order and delivery, help with returns, "
        'answer product questions and suggest products; say "human" at any time to reach a person.',
    },
    "thanks": {"zh": "不客气，还有什么可以帮您？", "en": "You're welcome. Anything else I can help with?"},
    "out_of_scope": {
        "zh": "抱歉，这个问题我帮不上忙。我可以帮您查订单物流、退换货、商品信息和优惠，也可以为您转人工。",
        "en": "Sorry, I can't help with that. I can help with orders and delivery, returns, product information "
        "and promotions, or pass you to a person.",
    },
    "ask_order": {
        "zh": "请告诉我订单号（如 O0001234）或下单手机号的后四位，我来帮您查。",
        "en": "Please tell me your order number (e.g. O0001234) or the last four digits of the phone number on "
        "the order, and I'll look it up.",
    },
    "ask_order_anonymous": {
        "zh": "为保护您的隐私，请同时提供订单号和下单手机号的后四位。",
        "en": "To protect your privacy, please give both the order number and the last four digits of the "
        "phone number on the order.",
    },
    "order_not_found": {
        "zh": "没有在您的账户下找到这个订单，请核对订单号或手机号后四位。",
        "en": "I couldn't find that order on your account. Please check the order number or the last four "
        "digits of your phone number.",
    },
    "order_line": {
        "zh": "订单 {order_id}（{items}）{status}。",
        "en": "Order {order_id} ({items}) is {status}.",
    },
    "order_shipped": {
        "zh": "已于 {shipped} 由{carrier}发出，运单号 {tracking}。",
        "en": "It was shipped on {shipped} by {carrier}, tracking number {tracking}.",
    },
    "order_shipped_no_tracking": {"zh": "已于 {shipped} 发出。", "en": "It was shipped on {shipped}."},
    "order_delivered": {"zh": "已于 {delivered} 签收。", "en": "It was delivered on {delivered}."},
    "order_placed": {"zh": "下单时间 {ordered}。", "en": "It was placed on {ordered}."},
    "return_no_reason": {
        "zh": "订单 {order_id} 于 {delivered} 签收，支持 {days} 天无理由退货，请在 {deadline} 前申请。",
        "en": "Order {order_id} was delivered on {delivered}; you can return it without giving a reason "
        "within {days} days, until {deadline}.",
    },
    "return_quality_only": {
        "zh": "订单 {order_id} 含生鲜商品（{fresh}），不支持无理由退货；如有质量问题，请在签收后 {hours} 小时内（{deadline} 前）拍照反馈，我们为您补发或退款。",
        "en": "Order {order_id} contains fresh produce ({fresh}), which cannot be returned without a reason; "
        "if there is a quality problem, send us a photo within {hours} hours of delivery (until {deadline}) "
        "and we will re-send or refund it.",
    },
    "return_expired": {
        "zh": "订单 {order_id} 于 {delivered} 签收，已超过退货期限（{deadline}）。如商品有质量问题，说“转人工”由客服为您处理。",
        "en": "Order {order_id} was delivered on {delivered}; the return period ended on {deadline}. If there "
        'is a quality problem, say "human" and a person will help.',
    },
    "return_expired_fresh": {
        "zh": "订单 {order_id} 含生鲜商品（{fresh}），质量问题需在签收后 {hours} 小时内（{deadline} 前）反馈，现已超时。"
        "如有特殊情况，说“转人工”由客服为您处理。",
        "en": "Order {order_id} contains fresh produce ({fresh}); quality problems had to be reported within "
        "{hours} hours of delivery (by {deadline}), which has passed. If something special happened, say "
        '"human" and a person will help.',
    },
    "return_not_delivered": {
        "zh": "订单 {order_id} 还在运输途中，签收后即可申请退货；如不想要了，可以拒收。",
        "en": "Order {order_id} is still on its way; you can ask for a return once it is delivered, or refuse "
        "the parcel.",
    },
    "return_cancel": {
        "zh": "订单 {order_id} 还没有发货，可以直接在订单页取消，款项原路退回。",
        "en": "Order {order_id} has not been shipped yet, so you can cancel it on the order page and the "
        "payment goes back the way you paid.",
    },
    "return_cancel_unpaid": {
        "zh": "订单 {order_id} 还没有付款，不需要退货，在订单页取消即可。",
        "en": "Order {order_id} has not been paid yet, so there is nothing to return: cancel it on the order page.",
    },
    "return_no_delivery_time": {
        "zh": "订单 {order_id} 显示{status}，但没有签收时间记录，无法计算退货期限，已为您转人工核实。",
        "en": "Order {order_id} is {status}, but its delivery time is not on record, so I can't work out the "
        "return period; I've passed this to a person to check.",
    },
    "return_closed": {
        "zh": "订单 {order_id} 当前状态为{status}，无需再次申请。",
        "en": "Order {order_id} is already {status}; there is nothing more to apply for.",
    },
    "return_general": {
        "zh": "{answer} 告诉我订单号，我可以帮您查这笔订单能否退。",
        "en": "{answer} Tell me your order number and I'll check what applies to that order.",
    },
    "product_many": {"zh": "找到以下相关商品：", "en": "Matching products:"},
    "recommend": {"zh": "为您推荐：", "en": "You might like:"},
    "no_info": {
        "zh": "抱歉，我没有关于这个问题的可靠资料，不想给您错误的答复。已为您转接人工客服，请稍候。",
        "en": "Sorry, I don't have reliable information on that and don't want to guess. I've passed your "
        "question to a person; please wait a moment.",
    },
    "handoff_asked": {
        "zh": "好的，正在为您转接人工客服，请稍候，对话记录会一并转过去。",
        "en": "Sure, I'm passing you to a person now; they will see this conversation. Please wait a moment.",
    },
    "handoff_anger": {
        "zh": "非常抱歉给您带来不好的体验！我已把您的问题转给人工客服优先处理，请稍候。",
        "en": "I'm very sorry about this. I've passed your conversation to a person to handle first; please "
        "wait a moment.",
    },
    "handoff_complaint": {
        "zh": "非常抱歉给您添麻烦了！已为您转接人工客服处理，请稍候。",
        "en": "I'm sorry about the trouble. I've passed this to a person who will sort it out; please wait a "
        "moment.",
    },
    "handoff_failures": {
        "zh": "看来我没能帮上忙，已为您转接人工客服，请稍候。",
        "en": "It seems I can't help with this; I've passed you to a person. Please wait a moment.",
    },
    "handoff_change": {
        "zh": "订单 {order_id} 还没有发货，修改地址需要人工操作，已为您转接人工客服，请把新地址发给我们。",
        "en": "Order {order_id} has not shipped yet; an address change is done by a person, so I've passed "
        "you to one. Please send us the new address.",
    },
    "waiting_human": {
        "zh": "已收到，人工客服会尽快回复您。",
        "en": "Got it; a person will reply as soon as possible.",
    },
}


def say(key: str, language: str, **fields: Any) -> str:
    """The template *key* in *language* (zh or en), filled with *fields*."""
    return _T[key]["zh" if language == "zh" else "en"].format(**fields)
