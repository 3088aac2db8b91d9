"""Texts of the spine: help, and answers to things the bot does not handle."""

JA = {
    "core.help_intro": "皮膚の写真を送ってください。次の言葉も使えます：",
    "core.help_line": "・{word} … {help}",
    "core.unsupported": "ごめんなさい、この種類のメッセージにはまだ対応していません。皮膚の写真か文字で送ってください。",
    "core.sticker": "スタンプありがとうございます。皮膚の写真を送ると確認します。",
    "core.group_only_personal": "健康に関わる内容のため、グループではお話しできません。1対1のトークで話しかけてください。",
    "core.photo_unavailable": "写真を受け取れませんでした。もう一度送ってください。",
    "core.link_gone_title": "このリンクは使えなくなりました",
    "core.link_gone": "期限が切れたか、取り消されたか、データが削除されました。LINEのトークから新しいリンクを開いてください。",
}

EN = {
    "core.help_intro": "Send a photo of your skin. You can also type:",
    "core.help_line": "- {word}: {help}",
    "core.unsupported": "Sorry, I can't handle this kind of message yet. Please send a skin photo or text.",
    "core.sticker": "Thanks for the sticker! Send a photo of your skin and I'll take a look.",
    "core.group_only_personal": "Because this is about your health, I can't talk in groups. Please message me one-to-one.",
    "core.photo_unavailable": "I couldn't get that photo. Please send it again.",
    "core.link_gone_title": "This link no longer works",
    "core.link_gone": "It has expired, was turned off, or the data was deleted. Please open a new link from the LINE chat.",
}
