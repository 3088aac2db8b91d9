"""Texts of sharing a record with a clinic's workspace and of the research question."""

JA = {
    "share.button": "この医院に記録を共有",
    "share.confirm": "「{clinic}」に、あなたの記録（写真の結果・写真・質問への答え・POEMの経過）を共有します。"
                     "医院のスタッフだけが見られます。LINEの名前やIDは伝わりません。共有しますか？",
    "share.yes": "共有する",
    "share.no": "やめる",
    "share.done": "「{clinic}」に共有しました。\nあなたの番号：{code}\n受診のときに、受付でこの番号を見せるか"
                  "読み上げてください。医院はこの番号であなたの記録を探します。"
                  "「番号」と送ると、いつでもまた表示します。「共有をやめる」と送れば、いつでも共有をやめられます。",
    "share.code": "あなたの番号：{code}\n受診のときに、受付でこの番号を見せるか読み上げてください。"
                  "（LINEの名前やIDではありません。）",
    "share.no_code": "まだどの医院にも記録を共有していないため、番号はありません。"
                     "「病院を探す」で近くの医院を出し、「この医院に記録を共有」を選ぶと番号をお伝えします。",
    "share.cancelled": "共有しませんでした。",
    "share.no_result": "共有できる記録がまだありません。先に肌の写真を送ってください。",
    "share.no_consent": "記録を保存していないため、共有できません。「同意」から記録の保存に同意できます。",
    "share.unknown_clinic": "その医院には今は共有できません。",
    "share.stopped": "{count}件の医院への共有をやめました。",
    "research.question": "研究へのご協力のお願い（任意）\n"
                         "共有先の医院の医師が、あなたの写真に病名と範囲の印をつけ、AIの精度を上げる研究に使ってもよいですか。\n"
                         "・LINEの名前やIDは研究用のデータに入りません。\n"
                         "・協力しなくても、これまでどおり使えます。\n"
                         "・「同意」メニューからいつでもやめられます。やめると、写真はすぐに研究用の一覧と今後のデータから外れます。",
    "research.yes": "協力する",
    "research.no": "協力しない",
    "research.given": "ありがとうございます。研究への協力をお受けしました。「同意」メニューからいつでもやめられます。",
    "research.declined": "わかりました。研究には使いません。これまでどおりお使いください。",
    "research.withdrawn": "研究への協力をやめました。写真は研究用の一覧と今後のデータから外しました。",
    "research.no_consent": "記録を保存していないため、研究への協力はお受けできません。",
    "research.status_given": "現在：研究への協力に同意しています。",
    "research.qr_withdraw": "研究協力をやめる",
}

EN = {
    "share.button": "Share my record here",
    "share.confirm": "I will share your record (photo results, photos, your answers and your POEM trend) with "
                     "\"{clinic}\". Only the clinic's staff can see it; your LINE name and ID are not passed on. Share?",
    "share.yes": "Share",
    "share.no": "Cancel",
    "share.done": "Shared with \"{clinic}\".\nYour code: {code}\nWhen you visit, show this code at the desk "
                  "or read it out; the clinic finds your record by it. Send \"my code\" to see it again, "
                  "and \"stop sharing\" at any time to stop.",
    "share.code": "Your code: {code}\nShow it at the clinic's desk or read it out when you visit. "
                  "(It is not your LINE name or ID.)",
    "share.no_code": "You share your record with no clinic, so there is no code yet. Send \"find a clinic\", "
                     "then choose \"Share my record here\" and I will give you one.",
    "share.cancelled": "Nothing was shared.",
    "share.no_result": "There is no record to share yet. Send a photo of your skin first.",
    "share.no_consent": "I keep no record for you, so there is nothing to share. Send \"consent\" to agree to keeping one.",
    "share.unknown_clinic": "That clinic cannot receive records right now.",
    "share.stopped": "Stopped sharing with {count} clinic(s).",
    "research.question": "A request for research (optional)\n"
                         "May doctors at the clinic you share with mark what your photos show, so the AI can become "
                         "more accurate?\n"
                         "- Your LINE name and ID are never part of the research data.\n"
                         "- If you say no, everything works as before.\n"
                         "- You can stop any time from the consent menu; your photos then leave the research list "
                         "and all later research data at once.",
    "research.yes": "Yes, I'll help",
    "research.no": "No, thanks",
    "research.given": "Thank you. Your photos may be used for research. You can stop any time from the consent menu.",
    "research.declined": "All right. Your photos will not be used for research. Everything works as before.",
    "research.withdrawn": "Stopped. Your photos have left the research list and all later research data.",
    "research.no_consent": "I keep no record for you, so I cannot take part in research with your photos.",
    "research.status_given": "Now: you agreed to research use of your photos.",
    "research.qr_withdraw": "Stop research use",
}
