"""Texts of the spine: greeting, help, and answers to things the bot does not handle."""

JA = {
    "core.greeting": (
        "友だち追加ありがとうございます。\n"
        "アトピー性皮膚炎の皮膚の写真を送ると、AIが気になる合併症の可能性をお知らせし、"
        "経過の記録と受診の目安をお手伝いします。\n"
        "これは医師の診断ではありません。緊急のときは119番に電話してください。"
    ),
    "core.help_title": "使い方",
    "core.help_intro": "皮膚の写真を送ってください。次の言葉も使えます：",
    "core.help_line": "・{word} … {help}",
    "core.cmd_help_help": "この使い方を表示します",
    "core.unsupported": "ごめんなさい、この種類のメッセージにはまだ対応していません。皮膚の写真か文字で送ってください。",
    "core.sticker": "スタンプありがとうございます。皮膚の写真を送ると確認します。",
    "core.location": "位置情報を受け取りました。",
    "core.group_only_personal": "健康に関わる内容のため、グループではお話しできません。1対1のトークで話しかけてください。",
    "core.try_again_later": "ただいま混み合っています。少し時間をおいて、もう一度送ってください。",
    "core.photo_received": "写真を受け取りました。",
    "core.photo_unavailable": "写真を受け取れませんでした。もう一度送ってください。",
}

EN = {
    "core.greeting": (
        "Thank you for adding me.\n"
        "Send a photo of your skin with atopic dermatitis, and the AI will tell you whether "
        "a complication might need attention, help you track your skin and suggest when to see a doctor.\n"
        "This is not a doctor's diagnosis. In an emergency, call 119."
    ),
    "core.help_title": "How to use",
    "core.help_intro": "Send a photo of your skin. You can also type:",
    "core.help_line": "- {word}: {help}",
    "core.cmd_help_help": "show this help",
    "core.unsupported": "Sorry, I can't handle this kind of message yet. Please send a skin photo or text.",
    "core.sticker": "Thanks for the sticker! Send a photo of your skin and I'll take a look.",
    "core.location": "Got your location.",
    "core.group_only_personal": "Because this is about your health, I can't talk in groups. Please message me one-to-one.",
    "core.try_again_later": "I'm busy right now. Please try again in a little while.",
    "core.photo_received": "Got your photo.",
    "core.photo_unavailable": "I couldn't get that photo. Please send it again.",
}
