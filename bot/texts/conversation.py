"""What the patient reads in the conversation (issue 5): greeting, consent, results, commands."""

JA = {
    # follow / consent
    "conv.greeting": (
        "友だち追加ありがとうございます。\n"
        "このボットは、アトピー性皮膚炎の方が送った湿疹の写真をAIで見て、"
        "すぐ受診したほうがよいサイン（ヘルペス・とびひ・皮膚リンパ腫など）がないかをお知らせします。\n"
        "診断ではありません。治療の判断は医師と相談してください。\n"
        "緊急のとき（高熱でぐったりしている、目の周りに水ぶくれなど）は119番に電話するか、すぐ病院へ。"
    ),
    "conv.consent_request": (
        "記録の保存に同意しますか？\n"
        "保存するもの：送った写真、AIの結果、質問への回答、チェックインの日時。\n"
        "保存期間：{years}年（その後は自動で削除）。\n"
        "いつでも「データを削除」と送ると、すべて消去します。\n"
        "同意しなくても写真の判定は使えます（その場合は何も保存しません）。"
    ),
    "conv.qr_agree": "同意する",
    "conv.qr_not_now": "今はしない",
    "conv.consent_given": "ありがとうございます。記録を保存します。気になる湿疹の写真を送ってください。",
    "conv.consent_declined": (
        "わかりました。写真は判定しますが、何も保存しません。"
        "同意はあとからメニューの「同意・データ」でできます。写真を送ってみてください。"
    ),
    "conv.consent_withdrawn": "同意を取り消しました。保存していた写真と結果も削除しました。今後は何も保存しません。",
    "conv.consent_status_yes": "現在：記録の保存に同意しています（保存期間{years}年）。",
    "conv.consent_status_no": "現在：記録は保存していません。",
    "conv.qr_withdraw": "同意を取り消す",
    "conv.qr_keep": "このまま",
    # photos
    "conv.unavailable": (
        "申し訳ありません。ただいま画像の判定が一時的に使えません。"
        "しばらくしてからもう一度送ってください。\n"
        "症状が急に悪くなっている、熱があるなどのときは、判定を待たずに受診してください。緊急時は119番へ。"
    ),
    "conv.image_error": "この画像は読み取れませんでした。JPEGかPNGの写真をもう一度送ってください。",
    "conv.image_too_small": "画像が小さすぎて判定できません。もっと近づいて撮るか、元の大きさの写真を送ってください。",
    "conv.image_too_large": "画像が大きすぎて（画素数が多すぎて）判定できません。小さくしたコピーを送ってください。",
    "conv.file_too_large": "ファイルが大きすぎます（20MBまで）。小さくしたコピーを送ってください。",
    "conv.corrupt_image": "画像が途中で壊れているようです。もう一度送るか、撮り直してください。",
    "conv.retake_too_dark": "写真が暗すぎます。明るい場所か、窓の近くで撮り直してください。",
    "conv.retake_too_bright": "写真が明るすぎます。直射日光やフラッシュを避けて撮り直してください。",
    "conv.retake_blurry": "写真がぼやけています。スマホを固定し、湿疹にピントを合わせて撮り直してください。",
    "conv.retake_too_small": "写真が小さすぎます。元のサイズの写真を送ってください。",
    "conv.retake_no_skin": "皮膚が写っていないようです。湿疹のある皮膚を画面いっぱいに撮ってください。",
    "conv.retake_no_lesion": (
        "この写真では湿疹を見つけられませんでした（病名は出しません）。"
        "湿疹がある場合は、湿疹を画面の真ん中にして撮り直すか、下の「質問に答える」から受診の目安を確かめてください。"
    ),
    # a photo unlike the photos the models learned from: no disease named, the answers decide
    "conv.unfamiliar": (
        "この写真は判定できません。AIが学んだ写真と違いすぎるため、病名を言うことができません。"
    ),
    "conv.unfamiliar_help": "代わりに{n}つの質問で、受診の目安をお伝えします。",
    "conv.img_not_judged": "写真は判定できなかったため、この目安は質問への回答だけから出しています。",
    "conv.cls_none": "写真は判定できず",
    "conv.overlay_unfamiliar": "この写真は判定できません：AIが学んだ写真と違いすぎるため、病名は出しません。",
    "conv.overlay_legend": "青 = 皮膚　マゼンタの線と斜線 = AIが湿疹とみなした所",
    "conv.overlay_result": "結果：{top}に近い（アトピー性皮膚炎以外の可能性 {p_not_ad}）",
    "conv.overlay_crops": "判定した部分：{crops}",
    "conv.overlay_crop": "{n} {name} {p}",
    "conv.overlay_no_crops": "なし",
    "conv.overlay_models": "モデル：{classifier}（範囲の検出：{segmenter}）・{validated}",
    "conv.checked_short": ("{clinic}の患者{patients}人・写真{photos}枚で確認：感度 {sensitivity}"
                           "（95%信頼区間 {sens_low}–{sens_high}）、特異度 {specificity}"
                           "（{spec_low}–{spec_high}）"),
    "conv.not_validated_short": "臨床的な検証を受けていません",
    "conv.overlay_shadow": "このAIは臨床的な検証を受けていないため、病名や割合は示しません",
    "conv.overlay_crops_shadow": "AIが見た部分：{crops}",
    "conv.research_preview": "研究用プレビュー：臨床的な検証を受けていないAIの結果です（承認された研究でのみ表示）。",
    "conv.overlay_legend_ok": "青 = 皮膚　マゼンタ = 湿疹とみなした所　黄色の枠 = 判定した部分（番号）",
    "conv.retake_lesion_too_small": "湿疹があるとしても、この写真では小さすぎて判定できません。もう少し近づいて、湿疹を真ん中にして撮ってください。",
    "conv.retake_scene": (
        "顔や人、景色の写真のようです（肌のアップではありません）。"
        "湿疹に15〜30cmくらいまで近づき、湿疹を真ん中に大きく写して送ってください。"
    ),
    "conv.retake_questions_too": "湿疹がある場合は、下の「質問に答える」から受診の目安も確かめられます。",
    "conv.retake_tips": "コツ：明るい場所で、15〜30cmくらいまで近づき、ピントを合わせ、湿疹を真ん中に。",
    "conv.qr_camera": "カメラで撮る",
    "conv.qr_camera_roll": "写真を選ぶ",
    "conv.set_note": "{n}枚の写真をまとめて判定しました。いちばん注意が必要な写真の結果です。",
    "conv.set_skipped": "{k}枚は読み取れなかったため、判定に使っていません。",
    "conv.set_not_judged": "{k}枚は読み取れましたが、判定できませんでした（暗い・ぼやけている・AIが学んだ写真と違うなど）。",
    "conv.photo_kept": "写真はあなたの記録に保存しました。",
    "conv.not_stored": "同意がないため、この写真と結果は保存していません。",
    "conv.store_failed": "今回はこの写真と結果を保存できませんでした。結果はこのメッセージのとおりです。",
    "conv.photo_limit": "1時間に送れる写真は{limit}枚までです。少し時間をおいてから送ってください。急ぐ症状があれば受診してください。",
    # result card
    "conv.alt_result": "判定結果：{level}",
    "conv.level_urgent": "今日中に受診してください",
    "conv.level_soon": "数日以内に受診してください",
    "conv.level_routine": "いつものケアを続けましょう",
    "conv.level_questions": "質問に答えてください",
    "conv.status_questions": "質問に未回答",
    "conv.finding_answers": "{finding}（あなたの回答から）",
    "conv.finding_not_judged": "写真は判定できず",
    "conv.finding_none": "AIは病名を出していません",
    "conv.finding_may": "写真は{finding}かもしれない",
    "conv.questions_pending": "受診の目安は、あなたの回答で決まります。",
    "conv.answers_clear": "回答には、急いで受診が必要なサインはありませんでした。",
    "conv.img_no_concern": "写真だけでは合併症を否定できません（このAIは臨床的な検証を受けていません）。",
    "conv.img_may_IM": "写真に、とびひ（細菌感染）かもしれない見た目があります。",
    "conv.img_may_HI": "写真に、ヘルペス（カポジ水痘様発疹症）かもしれない見た目があります。",
    "conv.img_may_MF": "写真に、いつもの湿疹と違う（皮膚リンパ腫かもしれない）見た目があります。",
    "conv.rf_lasting": "同じ場所の湿疹が、治療をしても4週間以上続いている。",
    "conv.rf_patch": "服で隠れる場所に、境目のはっきりした輪や弓の形の湿疹がある。",
    "conv.cls_slow": "皮膚科で診てもらいたい湿疹",
    "conv.img_AD": "写真はアトピー性皮膚炎の湿疹に近い見た目です。",
    "conv.img_IM": "写真にとびひ（細菌感染）を疑う見た目があります。",
    "conv.img_HI": "写真にヘルペス（カポジ水痘様発疹症）を疑う見た目があります。",
    "conv.img_MF": "写真に湿疹とは違う見た目（皮膚リンパ腫の可能性）があります。",
    "conv.rf_blisters": "痛い水ぶくれや、えぐれたような小さな傷がある（ヘルペスの疑い）。",
    "conv.rf_sepsis": "熱があり、赤みが急に広がっている（深い感染の疑い）。",
    "conv.rf_eyes": "目の近くに症状があり、ほかの注意サインもある。",
    "conv.rf_fever": "熱やだるさがある（感染のサインかもしれません）。",
    "conv.rf_spreading": "この1〜2日で急に広がっている。",
    "conv.rf_eyes_only": "目の近くに症状がある。",
    "conv.cls_AD": "アトピー性皮膚炎",
    "conv.cls_IM": "とびひ",
    "conv.cls_HI": "ヘルペス",
    "conv.cls_MF": "皮膚リンパ腫",
    "conv.finding_title": "AIの見立て",
    "conv.answers_title": "あなたの回答",
    "conv.ans_line": "{question}：{answer}",
    "conv.ans_fever": "熱・だるさ",
    "conv.ans_blisters": "痛い水ぶくれ・えぐれた小さな傷",
    "conv.ans_spreading": "この1〜2日で急に広がった",
    "conv.ans_eyes": "目の近く",
    "conv.ans_lasting": "治療しても4週間以上続いている",
    "conv.ans_patch": "服で隠れる場所の、境目のはっきりした湿疹",
    "conv.photo_of": "写真：{when}",
    "conv.model_line": "判定モデル：{classifier}（範囲の検出：{segmenter}）",
    "conv.not_validated": "このモデルは臨床的な検証を受けていません。診断ではなく、受診の目安です。",
    "conv.validated": "診断ではなく、受診の目安です。",
    # A signed validation (python -m models validate --sign): exactly what was measured, no more.
    "conv.checked": ("{clinic}の患者さん{patients}人の写真{photos}枚で確認しました："
                     "合併症と湿疹の見分けで感度 {sensitivity}（95%信頼区間 {sens_low}–{sens_high}）、"
                     "特異度 {specificity}（{spec_low}–{spec_high}）。診断ではなく、受診の目安です。"),
    "conv.advice_urgent_HI": (
        "湿疹にヘルペスが広がっているかもしれません。その場合、今日中に抗ウイルス薬の治療が必要です。"
        "今日、皮膚科か救急外来を受診してください。目の近くなら眼科も今日受診を。"
        "ぐったりしている・意識がおかしいときは119番へ。"
    ),
    "conv.advice_urgent_other": (
        "深い感染のおそれがあります。今日中に受診してください。"
        "高熱でぐったりしている・赤みがどんどん広がるときは119番か救急外来へ。"
    ),
    "conv.advice_soon_IM": (
        "とびひは治療が必要で、人にうつります。2〜3日以内に皮膚科か内科を受診してください。"
        "手をよく洗い、タオルは共用しないでください。"
    ),
    "conv.advice_soon_MF": (
        "いつもの湿疹と違う可能性があります。皮膚科の予約をとって、"
        "「境目がはっきりしている」「薬が効きにくい」などを伝えてください。"
    ),
    "conv.advice_soon_other": "数日以内に医師に診てもらってください。急に悪くなったら今日受診を。",
    "conv.advice_routine_AD": (
        "保湿を1日2回、処方された薬は指示どおりに。かかずに冷やす、ぬるめのシャワーがおすすめです。"
        "1週間後か、変化があったら、また写真を送ってください。"
    ),
    "conv.advice_routine_other": "いつものケアを続け、1週間後か変化があったらまた写真を送ってください。",
    "conv.advice_questions": (
        "写真を確認しました。このAIは臨床的な検証を受けていないため、急いで受診が必要な合併症を"
        "写真だけで否定することはできません。質問に答えると、受診の目安をお伝えします。"
    ),
    "conv.advice_routine_shadow": (
        "回答からは、今日急いで受診するサインはありません。ただしAIは何も否定していません。"
        "いつものケアを続け、悪くなる・治療しても良くならないときは皮膚科へ。1週間後にまた写真を送ってください。"
    ),
    "conv.advice_soon_slow": (
        "治療しても長引く湿疹や、境目のはっきりした湿疹は、一度皮膚科で診てもらいましょう。"
        "数週間以内に皮膚科を予約し、いつから続いているか・使っている薬を伝えてください。"
    ),
    "conv.emergency": "緊急時は119番",
    "conv.btn_questions": "{n}つの質問に答える",
    "conv.qr_questions": "質問に答える",
    "conv.btn_clinic": "病院を探す",
    "conv.btn_overlay": "AIが見た場所",
    "conv.btn_history": "履歴",
    # red flags
    "conv.rf_intro": "{n}つの質問に「はい／いいえ」で答えてください。結果を見直します。",
    "conv.rf_q_fever": "熱がある、または体がだるいですか？",
    "conv.rf_q_blisters": "痛い水ぶくれや、えぐれたような小さな傷がまとまってありますか？",
    "conv.rf_q_spreading": "この1〜2日で急に広がっていますか？",
    "conv.rf_q_eyes": "目の近くにありますか？",
    "conv.rf_q_lasting": "同じ場所の湿疹が、保湿と処方された薬をきちんと使っても、4週間以上続いていますか？",
    "conv.rf_q_patch": (
        "（大人の方）服で隠れる場所（おしり・胴・太もも・胸）に、境目のはっきりした、"
        "輪や弓のような形の湿疹がありますか？"
    ),
    "conv.qr_yes": "はい",
    "conv.qr_no": "いいえ",
    "conv.rf_updated": "回答ありがとうございます。上の結果は回答を反映したものです。",
    "conv.rf_expired": "この質問は使えなくなりました。もう一度写真を送ってください。",
    # commands
    "conv.history_header": "最近の結果",
    "conv.history_line": "{date}　{level}（{finding}）",
    "conv.history_empty": "まだ保存された結果はありません。",
    "conv.history_no_consent": "記録を保存していないため、履歴はありません。「同意」と送ると保存を始められます。",
    "conv.delete_confirm": "あなたの写真・結果・回答・設定をすべて削除します。元に戻せません。よろしいですか？",
    "conv.qr_delete_yes": "削除する",
    "conv.qr_cancel": "やめる",
    "conv.delete_done": "すべてのデータを削除しました。ご利用ありがとうございました。",
    "conv.delete_cancelled": "削除をやめました。",
    "conv.language_choose": "言語を選んでください。",
    "conv.language_set": "日本語に設定しました。",
    "conv.unknown": "写真を送ると判定します。「ヘルプ」で使い方を表示します。",
    # abuse
    "conv.too_long": "メッセージが長すぎます（{limit}文字まで）。短くして送ってください。",
    # rich menu labels (drawn into the image)
    "conv.menu_photo": "写真を送る",
    "conv.menu_history": "履歴",
    "conv.menu_clinic": "病院を探す",
    "conv.menu_checkin": "チェックイン",
    "conv.menu_privacy": "同意・データ",
    "conv.menu_help": "ヘルプ",
}

EN = {
    "conv.greeting": (
        "Thanks for adding me.\n"
        "I look at photos of eczema with AI and tell you when there are signs that need a doctor soon "
        "(herpes, impetigo, skin lymphoma).\n"
        "This is not a diagnosis; decide on treatment with your doctor.\n"
        "In an emergency (high fever and very unwell, blisters near the eyes) call 119 or go to hospital now."
    ),
    "conv.consent_request": (
        "May I keep a record for you?\n"
        "What I keep: the photos you send, the AI results, your answers, check-in times.\n"
        "For how long: {years} years, then deleted automatically.\n"
        "Send \"delete my data\" at any time and everything is erased.\n"
        "Without consent I still look at photos, but keep nothing."
    ),
    "conv.qr_agree": "I agree",
    "conv.qr_not_now": "Not now",
    "conv.consent_given": "Thank you. I will keep your record. Send a photo of the eczema that worries you.",
    "conv.consent_declined": (
        "All right. I will look at photos but keep nothing. "
        "You can agree later from the menu (Consent & data). Try sending a photo."
    ),
    "conv.consent_withdrawn": "Consent withdrawn. I deleted the photos and results I had kept, and will keep nothing from now on.",
    "conv.consent_status_yes": "Now: you agreed that I keep your record (for {years} years).",
    "conv.consent_status_no": "Now: I keep no record for you.",
    "conv.qr_withdraw": "Withdraw consent",
    "conv.qr_keep": "Keep as is",
    "conv.unavailable": (
        "Sorry, photo checks are temporarily unavailable. Please try again a little later.\n"
        "If it is getting worse fast or you have a fever, see a doctor without waiting. Emergency: call 119."
    ),
    "conv.image_error": "I could not read this image. Please send a JPEG or PNG photo again.",
    "conv.image_too_small": "This image is too small to check. Please take the photo closer, or send it at full resolution.",
    "conv.image_too_large": "This image has too many pixels to check. Please send a smaller copy of the photo.",
    "conv.file_too_large": "This file is too large (20 MB at most). Please send a smaller copy of the photo.",
    "conv.corrupt_image": "This image seems damaged or incomplete. Please send it again, or take a new photo.",
    "conv.retake_too_dark": "The photo is too dark. Please retake it in a bright place or near a window.",
    "conv.retake_too_bright": "The photo is too bright. Avoid direct sunlight and flash, and retake it.",
    "conv.retake_blurry": "The photo is blurry. Hold the phone still, focus on the rash, and retake it.",
    "conv.retake_too_small": "The photo is too small. Please send the original-size photo.",
    "conv.retake_no_skin": "I cannot see skin in this photo. Fill the picture with the skin that has the rash.",
    "conv.retake_no_lesion": (
        "I could not find a rash in this photo (no disease is named). "
        "If you have a rash, put it in the middle of the picture and retake it, or tap "
        "\"Answer questions\" to find out when to see a doctor."
    ),
    "conv.unfamiliar": (
        "I cannot judge this photo: it is too unlike the photos the AI learned from, "
        "so it cannot name a disease."
    ),
    "conv.unfamiliar_help": "Instead, {n} questions will tell you when to see a doctor.",
    "conv.img_not_judged": "The photo could not be judged, so this level comes from your answers alone.",
    "conv.cls_none": "photo not judged",
    "conv.overlay_unfamiliar": (
        "Not judged: this photo is too unlike the photos the AI learned from, so no disease is named."
    ),
    "conv.overlay_legend": "blue = skin   magenta line and hatch = what the AI took for rash",
    "conv.overlay_result": "Result: looks most like {top} (chance it is not atopic dermatitis: {p_not_ad})",
    "conv.overlay_crops": "Parts checked: {crops}",
    "conv.overlay_crop": "{n} {name} {p}",
    "conv.overlay_no_crops": "none",
    "conv.overlay_models": "Model: {classifier} (area finder: {segmenter}) · {validated}",
    "conv.checked_short": ("checked on {photos} photos of {patients} patients at {clinic}: "
                           "sensitivity {sensitivity} (95 % CI {sens_low}–{sens_high}), "
                           "specificity {specificity} ({spec_low}–{spec_high})"),
    "conv.not_validated_short": "not clinically validated",
    "conv.overlay_shadow": "This AI is not clinically validated, so it names no disease and gives no percentage",
    "conv.overlay_crops_shadow": "Parts the AI looked at: {crops}",
    "conv.research_preview": "Research preview: the result of an AI no clinician has validated (shown only in an approved study).",
    "conv.overlay_legend_ok": "blue = skin   magenta = what the AI took for rash   yellow boxes = parts checked (numbered)",
    "conv.retake_lesion_too_small": (
        "If there is a rash, it is too small in this photo to judge. Come a little closer, rash in the middle."
    ),
    "conv.retake_scene": (
        "This looks like a face, people or a scene, not a close-up of skin. Please send a close-up "
        "of the rash: about 15-30 cm away, the rash in the middle, filling most of the picture."
    ),
    "conv.retake_questions_too": "If you have a rash, you can also tap \"Answer questions\" to find out when to see a doctor.",
    "conv.retake_tips": "Tips: bright place, about 15-30 cm away, in focus, rash in the middle.",
    "conv.qr_camera": "Camera",
    "conv.qr_camera_roll": "Camera roll",
    "conv.set_note": "I looked at your {n} photos together. This is the result for the most worrying one.",
    "conv.set_skipped": "{k} photo(s) could not be read and were not used.",
    "conv.set_not_judged": "{k} photo(s) could be read but not judged (too dark, blurred, or unlike the photos the AI learned from).",
    "conv.photo_kept": "I kept the photo in your record.",
    "conv.not_stored": "Without consent, this photo and its result were not kept.",
    "conv.store_failed": "This time the photo and its result could not be saved. The result is as shown here.",
    "conv.photo_limit": "You can send up to {limit} photos an hour. Please wait a little before sending more. If your symptoms are urgent, see a doctor.",
    "conv.alt_result": "Result: {level}",
    "conv.level_urgent": "See a doctor today",
    "conv.level_soon": "See a doctor within a few days",
    "conv.level_routine": "Keep up your usual care",
    "conv.level_questions": "Please answer the questions",
    "conv.status_questions": "Questions not answered",
    "conv.finding_answers": "{finding} (from your answers)",
    "conv.finding_not_judged": "photo not judged",
    "conv.finding_none": "the AI named no disease",
    "conv.finding_may": "photo may show {finding}",
    "conv.questions_pending": "Your answers decide when to see a doctor.",
    "conv.answers_clear": "Your answers show no sign that you need a doctor urgently.",
    "conv.img_no_concern": "The photo alone cannot rule out complications (this AI is not clinically validated).",
    "conv.img_may_IM": "The photo may show signs of impetigo (a bacterial infection).",
    "conv.img_may_HI": "The photo may show signs of herpes on eczema (eczema herpeticum).",
    "conv.img_may_MF": "The photo may show a rash unlike usual eczema (possible skin lymphoma).",
    "conv.rf_lasting": "The same patch has lasted 4 weeks or more despite treatment.",
    "conv.rf_patch": "A sharp-edged ring- or arc-shaped patch on skin usually covered by clothes.",
    "conv.cls_slow": "a rash for a dermatologist to see",
    "conv.img_AD": "The photo looks like an atopic dermatitis flare.",
    "conv.img_IM": "The photo shows signs that may be impetigo (a bacterial infection).",
    "conv.img_HI": "The photo shows signs that may be herpes on eczema (eczema herpeticum).",
    "conv.img_MF": "The photo looks unlike usual eczema (possible skin lymphoma).",
    "conv.rf_blisters": "Painful blisters or small punched-out sores (possible herpes).",
    "conv.rf_sepsis": "Fever with redness spreading fast (possible deep infection).",
    "conv.rf_eyes": "Near the eyes, with other warning signs.",
    "conv.rf_fever": "Fever or feeling unwell (may be a sign of infection).",
    "conv.rf_spreading": "Spreading fast in the last day or two.",
    "conv.rf_eyes_only": "Near the eyes.",
    "conv.cls_AD": "atopic dermatitis",
    "conv.cls_IM": "impetigo",
    "conv.cls_HI": "herpes",
    "conv.cls_MF": "skin lymphoma",
    "conv.finding_title": "What the AI sees",
    "conv.answers_title": "Your answers",
    "conv.ans_line": "{question}: {answer}",
    "conv.ans_fever": "Fever or feeling unwell",
    "conv.ans_blisters": "Painful blisters or punched-out sores",
    "conv.ans_spreading": "Spread fast in the last day or two",
    "conv.ans_eyes": "Near the eyes",
    "conv.ans_lasting": "Lasted 4 weeks or more despite treatment",
    "conv.ans_patch": "Sharp-edged patch on covered skin",
    "conv.photo_of": "Photo: {when}",
    "conv.model_line": "Model: {classifier} (area finder: {segmenter})",
    "conv.not_validated": "This model is not clinically validated. It is not a diagnosis, only a guide to when to see a doctor.",
    "conv.validated": "Not a diagnosis, only a guide to when to see a doctor.",
    "conv.checked": ("Checked on {photos} photos of {patients} patients at {clinic}: sensitivity "
                     "{sensitivity} (95 % CI {sens_low}–{sens_high}), specificity {specificity} "
                     "({spec_low}–{spec_high}) for telling a complication from eczema. Not a "
                     "diagnosis, only a guide to when to see a doctor."),
    "conv.advice_urgent_HI": (
        "This may be herpes spreading on eczema, which needs antiviral treatment today. Go to a "
        "dermatologist or emergency department today. If it is near the eyes, see an eye doctor today too. "
        "If you feel very unwell or confused, call 119."
    ),
    "conv.advice_urgent_other": (
        "This may be a deep infection. See a doctor today. High fever and very unwell, "
        "or redness spreading fast: call 119 or go to the emergency department."
    ),
    "conv.advice_soon_IM": (
        "Impetigo needs treatment and is contagious. See a doctor within 2-3 days. "
        "Wash your hands often and do not share towels."
    ),
    "conv.advice_soon_MF": (
        "This may not be usual eczema. Book a dermatologist appointment and mention sharp borders "
        "or that usual treatment does not help."
    ),
    "conv.advice_soon_other": "Have a doctor look at it within a few days. If it gets worse quickly, go today.",
    "conv.advice_routine_AD": (
        "Moisturise twice a day and use your prescribed treatment as directed. Cool the itch instead of "
        "scratching; take lukewarm showers. Send another photo in a week, or sooner if it changes."
    ),
    "conv.advice_routine_other": "Keep up your usual care and send another photo in a week, or sooner if it changes.",
    "conv.advice_questions": (
        "I looked at your photo. This AI has not been validated by a clinic, so the photo alone "
        "cannot rule out a complication that needs a doctor. Answer the questions and I will tell "
        "you when to see a doctor."
    ),
    "conv.advice_routine_shadow": (
        "Your answers show no sign that you need a doctor today, but the AI has ruled nothing out. "
        "Keep up your usual care; if it gets worse or does not settle with treatment, see a "
        "dermatologist. Send another photo in a week."
    ),
    "conv.advice_soon_slow": (
        "A rash that lasts despite treatment, or a sharp-edged patch, deserves a dermatologist's "
        "look. Book a dermatologist in the next few weeks and say how long it has lasted and what "
        "you use on it."
    ),
    "conv.emergency": "Emergency: call 119",
    "conv.btn_questions": "Answer {n} questions",
    "conv.qr_questions": "Answer questions",
    "conv.btn_clinic": "Find a clinic",
    "conv.btn_overlay": "Show what I looked at",
    "conv.btn_history": "History",
    "conv.rf_intro": "Please answer {n} yes/no questions, and I will check the result again.",
    "conv.rf_q_fever": "Do you have a fever or feel unwell?",
    "conv.rf_q_blisters": "Are there painful blisters or small punched-out sores in a cluster?",
    "conv.rf_q_spreading": "Has it spread fast in the last day or two?",
    "conv.rf_q_eyes": "Is it near the eyes?",
    "conv.rf_q_lasting": (
        "Has the same patch lasted 4 weeks or more, even with regular moisturiser and the "
        "ointment your doctor prescribed?"
    ),
    "conv.rf_q_patch": (
        "(Adults) Is there a sharp-edged patch, ring- or arc-shaped, on skin usually covered by "
        "clothes (buttocks, trunk, thighs, breasts)?"
    ),
    "conv.qr_yes": "Yes",
    "conv.qr_no": "No",
    "conv.rf_updated": "Thank you for your answers. The result above includes them.",
    "conv.rf_expired": "These questions are no longer available. Please send the photo again.",
    "conv.history_header": "Recent results",
    "conv.history_line": "{date}  {level} ({finding})",
    "conv.history_empty": "No saved results yet.",
    "conv.history_no_consent": "I keep no record for you, so there is no history. Send \"consent\" to start keeping one.",
    "conv.delete_confirm": "This deletes all your photos, results, answers and settings. It cannot be undone. Continue?",
    "conv.qr_delete_yes": "Delete",
    "conv.qr_cancel": "Cancel",
    "conv.delete_done": "All your data has been deleted. Thank you for using the bot.",
    "conv.delete_cancelled": "Nothing was deleted.",
    "conv.language_choose": "Choose your language.",
    "conv.language_set": "Language set to English.",
    "conv.unknown": "Send a photo and I will check it. Send \"help\" to see what I can do.",
    "conv.too_long": "That message is too long (up to {limit} characters). Please send a shorter one.",
    "conv.menu_photo": "Send photo",
    "conv.menu_history": "History",
    "conv.menu_clinic": "Find a clinic",
    "conv.menu_checkin": "Check-in",
    "conv.menu_privacy": "Consent & data",
    "conv.menu_help": "Help",
}
