"""What the patient reads in the conversation (issue 5): greeting, consent, results, commands."""

JA = {
    # follow / consent
    "greeting": (
        "友だち追加ありがとうございます。\n"
        "このボットは、アトピー性皮膚炎の方が送った湿疹の写真をAIで見て、"
        "すぐ受診したほうがよいサイン（ヘルペス・とびひ・皮膚リンパ腫など）がないかをお知らせします。\n"
        "診断ではありません。治療の判断は医師と相談してください。\n"
        "緊急のとき（高熱でぐったりしている、目の周りに水ぶくれなど）は119番に電話するか、すぐ病院へ。"
    ),
    "consent_request": (
        "記録の保存に同意しますか？\n"
        "保存するもの：送った写真、AIの結果、質問への回答、チェックインの日時。\n"
        "保存期間：{years}年（その後は自動で削除）。\n"
        "いつでも「データを削除」と送ると、すべて消去します。\n"
        "同意しなくても写真の判定は使えます（その場合は何も保存しません）。"
    ),
    "qr_agree": "同意する",
    "qr_not_now": "今はしない",
    "consent_given": "ありがとうございます。記録を保存します。気になる湿疹の写真を送ってください。",
    "consent_declined": (
        "わかりました。写真は判定しますが、何も保存しません。"
        "同意はあとからメニューの「同意・データ」でできます。写真を送ってみてください。"
    ),
    "consent_withdrawn": "同意を取り消しました。保存していた写真と結果も削除しました。今後は何も保存しません。",
    "consent_status_yes": "現在：記録の保存に同意しています（保存期間{years}年）。",
    "consent_status_no": "現在：記録は保存していません。",
    "qr_withdraw": "同意を取り消す",
    "qr_keep": "このまま",
    # photos
    "unavailable": (
        "申し訳ありません。ただいま画像の判定が一時的に使えません。"
        "しばらくしてからもう一度送ってください。\n"
        "症状が急に悪くなっている、熱があるなどのときは、判定を待たずに受診してください。緊急時は119番へ。"
    ),
    "image_error": "この画像は読み取れませんでした。JPEGかPNGの写真をもう一度送ってください。",
    "retake_too_dark": "写真が暗すぎます。明るい場所か、窓の近くで撮り直してください。",
    "retake_too_bright": "写真が明るすぎます。直射日光やフラッシュを避けて撮り直してください。",
    "retake_blurry": "写真がぼやけています。スマホを固定し、湿疹にピントを合わせて撮り直してください。",
    "retake_too_small": "写真が小さすぎます。元のサイズの写真を送ってください。",
    "retake_no_skin": "皮膚が写っていないようです。湿疹のある皮膚を画面いっぱいに撮ってください。",
    "retake_no_lesion": "湿疹の部分が見つかりませんでした。湿疹を画面の真ん中にして撮り直してください。",
    "retake_lesion_too_small": "湿疹が小さく写っています。もう少し近づいて、湿疹を真ん中にして撮ってください。",
    "retake_tips": "コツ：明るい場所で、15〜30cmくらいまで近づき、ピントを合わせ、湿疹を真ん中に。",
    "qr_camera": "カメラで撮る",
    "qr_camera_roll": "写真を選ぶ",
    "set_note": "{n}枚の写真をまとめて判定しました。いちばん注意が必要な写真の結果です。",
    "set_skipped": "{k}枚は読み取れなかったため、判定に使っていません。",
    "not_stored": "同意がないため、この写真と結果は保存していません。",
    "photo_limit": "1時間に送れる写真は{limit}枚までです。少し時間をおいてから送ってください。急ぐ症状があれば受診してください。",
    # result card
    "alt_result": "判定結果：{level}",
    "level_urgent": "今日中に受診してください",
    "level_soon": "数日以内に受診してください",
    "level_routine": "いつものケアを続けましょう",
    "img_AD": "写真はアトピー性皮膚炎の湿疹に近い見た目です。",
    "img_IM": "写真にとびひ（細菌感染）を疑う見た目があります。",
    "img_HI": "写真にヘルペス（カポジ水痘様発疹症）を疑う見た目があります。",
    "img_MF": "写真に湿疹とは違う見た目（皮膚リンパ腫の可能性）があります。",
    "rf_blisters": "痛い水ぶくれや、えぐれたような小さな傷がある（ヘルペスの疑い）。",
    "rf_sepsis": "熱があり、赤みが急に広がっている（深い感染の疑い）。",
    "rf_eyes": "目の近くに症状があり、ほかの注意サインもある。",
    "rf_fever": "熱やだるさがある（感染のサインかもしれません）。",
    "rf_spreading": "この1〜2日で急に広がっている。",
    "rf_eyes_only": "目の近くに症状がある。",
    "cls_AD": "アトピー性皮膚炎",
    "cls_IM": "とびひ",
    "cls_HI": "ヘルペス",
    "cls_MF": "皮膚リンパ腫",
    "finding_title": "AIの見立て",
    "model_line": "判定モデル：{classifier}（範囲の検出：{segmenter}）",
    "not_validated": "このモデルは臨床的な検証を受けていません。診断ではなく、受診の目安です。",
    "validated": "診断ではなく、受診の目安です。",
    "advice_urgent_HI": (
        "ヘルペスが湿疹に広がると、今日中の抗ウイルス薬が必要です。今日、皮膚科か救急外来を受診してください。"
        "目の近くなら眼科も今日受診を。ぐったりしている・意識がおかしいときは119番へ。"
    ),
    "advice_urgent_other": (
        "深い感染のおそれがあります。今日中に受診してください。"
        "高熱でぐったりしている・赤みがどんどん広がるときは119番か救急外来へ。"
    ),
    "advice_soon_IM": (
        "とびひは治療が必要で、人にうつります。2〜3日以内に皮膚科か内科を受診してください。"
        "手をよく洗い、タオルは共用しないでください。"
    ),
    "advice_soon_MF": (
        "いつもの湿疹と違う可能性があります。皮膚科の予約をとって、"
        "「境目がはっきりしている」「薬が効きにくい」などを伝えてください。"
    ),
    "advice_soon_other": "数日以内に医師に診てもらってください。急に悪くなったら今日受診を。",
    "advice_routine_AD": (
        "保湿を1日2回、処方された薬は指示どおりに。かかずに冷やす、ぬるめのシャワーがおすすめです。"
        "1週間後か、変化があったら、また写真を送ってください。"
    ),
    "advice_routine_other": "いつものケアを続け、1週間後か変化があったらまた写真を送ってください。",
    "emergency": "緊急時は119番",
    "btn_questions": "4つの質問に答える",
    "btn_clinic": "病院を探す",
    "btn_overlay": "AIが見た場所",
    "btn_history": "履歴",
    # red flags
    "rf_intro": "4つの質問に「はい／いいえ」で答えてください。結果を見直します。",
    "rf_q_fever": "熱がある、または体がだるいですか？",
    "rf_q_blisters": "痛い水ぶくれや、えぐれたような小さな傷がまとまってありますか？",
    "rf_q_spreading": "この1〜2日で急に広がっていますか？",
    "rf_q_eyes": "目の近くにありますか？",
    "qr_yes": "はい",
    "qr_no": "いいえ",
    "rf_updated": "回答ありがとうございます。結果を更新しました。",
    # overlay
    "overlay_ready": "AIが湿疹として見た場所（色付き）と、判定に使った枠です。リンクは{hours}時間有効です。",
    "overlay_gone": "この画像はもう表示できません。もう一度写真を送ってください。",
    # commands
    "help_header": "使い方：写真を送るとAIが判定します。次の言葉でも操作できます。",
    "help_line": "・{words}：{help}",
    "history_header": "最近の結果",
    "history_line": "{date}　{level}（{finding}）",
    "history_empty": "まだ保存された結果はありません。",
    "history_no_consent": "記録を保存していないため、履歴はありません。「同意」と送ると保存を始められます。",
    "delete_confirm": "あなたの写真・結果・回答・設定をすべて削除します。元に戻せません。よろしいですか？",
    "qr_delete_yes": "削除する",
    "qr_cancel": "やめる",
    "delete_done": "すべてのデータを削除しました。ご利用ありがとうございました。",
    "delete_cancelled": "削除をやめました。",
    "language_choose": "言語を選んでください。",
    "language_set": "日本語に設定しました。",
    "coming_soon": "この機能は準備中です。",
    "unknown": "写真を送ると判定します。「ヘルプ」で使い方を表示します。",
    # abuse
    "too_long": "メッセージが長すぎます（{limit}文字まで）。短くして送ってください。",
    "group_note": "このボットは1対1のトークでのみ使えます。友だち追加して個別に話しかけてください。",
    # rich menu labels (drawn into the image)
    "menu_photo": "写真を送る",
    "menu_history": "履歴",
    "menu_clinic": "病院を探す",
    "menu_checkin": "チェックイン",
    "menu_privacy": "同意・データ",
    "menu_help": "ヘルプ",
}

EN = {
    "greeting": (
        "Thanks for adding me.\n"
        "I look at photos of eczema with AI and tell you when there are signs that need a doctor soon "
        "(herpes, impetigo, skin lymphoma).\n"
        "This is not a diagnosis; decide on treatment with your doctor.\n"
        "In an emergency (high fever and very unwell, blisters near the eyes) call 119 or go to hospital now."
    ),
    "consent_request": (
        "May I keep a record for you?\n"
        "What I keep: the photos you send, the AI results, your answers, check-in times.\n"
        "For how long: {years} years, then deleted automatically.\n"
        "Send \"delete my data\" at any time and everything is erased.\n"
        "Without consent I still look at photos, but keep nothing."
    ),
    "qr_agree": "I agree",
    "qr_not_now": "Not now",
    "consent_given": "Thank you. I will keep your record. Send a photo of the eczema that worries you.",
    "consent_declined": (
        "All right. I will look at photos but keep nothing. "
        "You can agree later from the menu (Consent & data). Try sending a photo."
    ),
    "consent_withdrawn": "Consent withdrawn. I deleted the photos and results I had kept, and will keep nothing from now on.",
    "consent_status_yes": "Now: you agreed that I keep your record (for {years} years).",
    "consent_status_no": "Now: I keep no record for you.",
    "qr_withdraw": "Withdraw consent",
    "qr_keep": "Keep as is",
    "unavailable": (
        "Sorry, photo checks are temporarily unavailable. Please try again a little later.\n"
        "If it is getting worse fast or you have a fever, see a doctor without waiting. Emergency: call 119."
    ),
    "image_error": "I could not read this image. Please send a JPEG or PNG photo again.",
    "retake_too_dark": "The photo is too dark. Please retake it in a bright place or near a window.",
    "retake_too_bright": "The photo is too bright. Avoid direct sunlight and flash, and retake it.",
    "retake_blurry": "The photo is blurry. Hold the phone still, focus on the rash, and retake it.",
    "retake_too_small": "The photo is too small. Please send the original-size photo.",
    "retake_no_skin": "I cannot see skin. Fill the picture with the skin that has the rash.",
    "retake_no_lesion": "I could not find the rash. Put it in the middle of the picture and retake it.",
    "retake_lesion_too_small": "The rash looks small in the photo. Come a little closer, rash in the middle.",
    "retake_tips": "Tips: bright place, about 15-30 cm away, in focus, rash in the middle.",
    "qr_camera": "Camera",
    "qr_camera_roll": "Camera roll",
    "set_note": "I looked at your {n} photos together. This is the result for the most worrying one.",
    "set_skipped": "{k} photo(s) could not be read and were not used.",
    "not_stored": "Without consent, this photo and its result were not kept.",
    "photo_limit": "You can send up to {limit} photos an hour. Please wait a little. If it is urgent, see a doctor.",
    "alt_result": "Result: {level}",
    "level_urgent": "See a doctor today",
    "level_soon": "See a doctor within a few days",
    "level_routine": "Keep up your usual care",
    "img_AD": "The photo looks like an atopic dermatitis flare.",
    "img_IM": "The photo shows signs that may be impetigo (a bacterial infection).",
    "img_HI": "The photo shows signs that may be herpes on eczema (eczema herpeticum).",
    "img_MF": "The photo looks unlike usual eczema (possible skin lymphoma).",
    "rf_blisters": "Painful blisters or small punched-out sores (possible herpes).",
    "rf_sepsis": "Fever with redness spreading fast (possible deep infection).",
    "rf_eyes": "Near the eyes, with other warning signs.",
    "rf_fever": "Fever or feeling unwell (may be a sign of infection).",
    "rf_spreading": "Spreading fast in the last day or two.",
    "rf_eyes_only": "Near the eyes.",
    "cls_AD": "atopic dermatitis",
    "cls_IM": "impetigo",
    "cls_HI": "herpes",
    "cls_MF": "skin lymphoma",
    "finding_title": "What the AI sees",
    "model_line": "Model: {classifier} (area finder: {segmenter})",
    "not_validated": "This model is not clinically validated. It is not a diagnosis, only a guide to when to see a doctor.",
    "validated": "Not a diagnosis, only a guide to when to see a doctor.",
    "advice_urgent_HI": (
        "Herpes spreading on eczema needs antiviral treatment today. Go to a dermatologist or "
        "emergency department today. Near the eyes, see an eye doctor today too. "
        "Very unwell or confused: call 119."
    ),
    "advice_urgent_other": (
        "This may be a deep infection. See a doctor today. High fever and very unwell, "
        "or redness spreading fast: call 119 or go to the emergency department."
    ),
    "advice_soon_IM": (
        "Impetigo needs treatment and is contagious. See a doctor within 2-3 days. "
        "Wash your hands often and do not share towels."
    ),
    "advice_soon_MF": (
        "This may not be usual eczema. Book a dermatologist appointment and mention sharp borders "
        "or that usual treatment does not help."
    ),
    "advice_soon_other": "Have a doctor look at it within a few days. If it gets worse quickly, go today.",
    "advice_routine_AD": (
        "Moisturise twice a day and use your prescribed treatment as directed. Cool the itch instead of "
        "scratching; take lukewarm showers. Send another photo in a week, or sooner if it changes."
    ),
    "advice_routine_other": "Keep up your usual care and send another photo in a week, or sooner if it changes.",
    "emergency": "Emergency: call 119",
    "btn_questions": "Answer 4 questions",
    "btn_clinic": "Find a clinic",
    "btn_overlay": "Show what I looked at",
    "btn_history": "History",
    "rf_intro": "Please answer 4 yes/no questions, and I will check the result again.",
    "rf_q_fever": "Do you have a fever or feel unwell?",
    "rf_q_blisters": "Are there painful blisters or small punched-out sores in a cluster?",
    "rf_q_spreading": "Has it spread fast in the last day or two?",
    "rf_q_eyes": "Is it near the eyes?",
    "qr_yes": "Yes",
    "qr_no": "No",
    "rf_updated": "Thank you for your answers. Here is the updated result.",
    "overlay_ready": "Coloured: where the AI saw the rash; boxes: the parts it judged. The link works for {hours} hours.",
    "overlay_gone": "This picture is no longer available. Please send the photo again.",
    "help_header": "How to use: send a photo and the AI checks it. You can also type:",
    "help_line": "- {words}: {help}",
    "history_header": "Recent results",
    "history_line": "{date}  {level} ({finding})",
    "history_empty": "No saved results yet.",
    "history_no_consent": "I keep no record for you, so there is no history. Send \"consent\" to start keeping one.",
    "delete_confirm": "This deletes all your photos, results, answers and settings. It cannot be undone. Continue?",
    "qr_delete_yes": "Delete",
    "qr_cancel": "Cancel",
    "delete_done": "All your data has been deleted. Thank you for using the bot.",
    "delete_cancelled": "Nothing was deleted.",
    "language_choose": "Choose your language.",
    "language_set": "Language set to English.",
    "coming_soon": "This feature is coming soon.",
    "unknown": "Send a photo and I will check it. Send \"help\" to see what I can do.",
    "too_long": "That message is too long (up to {limit} characters). Please send a shorter one.",
    "group_note": "This bot works only in one-to-one chats. Please add it as a friend and talk to it there.",
    "menu_photo": "Send photo",
    "menu_history": "History",
    "menu_clinic": "Find a clinic",
    "menu_checkin": "Check-in",
    "menu_privacy": "Consent & data",
    "menu_help": "Help",
}
