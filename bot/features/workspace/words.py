"""Texts of the workspace's second round (issue 21), Japanese and English. They live beside the
workspace (bot/texts/workspace.py holds the first round's) and `say` looks here first, then in
bot.texts, so a page uses one function for both."""

from bot import texts

JA = {
    "ws2.sign_in_failed": "サインインできませんでした。メールアドレスかパスワードが違うか、失敗が続いたため"
                          "しばらく（15分ほど）サインインできません。",
    "ws2.bad_request": "送られた内容を受け付けられませんでした。ページを読み込み直してからお試しください。",
    "ws2.bad_diagnosis": "診断を選んでからラベルを保存してください。",
    "ws2.bad_mask": "塗った範囲を受け取れませんでした。塗った内容はこのブラウザに残っています。"
                    "ページを開き直して保存してください。",
    "ws2.too_large": "送られたデータが大きすぎます。",
    "ws2.error": "問題が起きました。",
    "ws2.kappa_pairs": "医師の組ごとの一致度",
    "ws2.kappa_row": "{a} と {b}：κ = {k}（95%信頼区間 {lo}〜{hi}、共通の写真 {n}枚）",
    "ws2.kappa_few": "共通の写真が{min}枚未満のため、この値はまだ当てになりません。",
    "ws2.status_by": "{when} に {who} が「{status}」にしました。",
    "ws2.mask_loading": "塗りの範囲を読み込み中です…",
    "ws2.mask_failed": "最初の範囲を読み込めませんでした。保存する前にもう一度読み込んでください。",
    "ws2.mask_retry": "もう一度読み込む",
    "ws2.not_ready": "範囲の読み込みが終わるまで保存できません。",
    "ws2.draft_restored": "保存されていなかった塗りをこのブラウザから戻しました。確認して保存してください。",
    "ws2.undo": "元に戻す", "ws2.redo": "やり直す",
    "ws2.zoom_in": "拡大", "ws2.zoom_out": "縮小", "ws2.zoom_fit": "全体",
    "ws2.opacity": "塗りの濃さ", "ws2.hide_mask": "塗りを隠す（H）",
    "ws2.reset_confirm": "いまの塗りを消して、AIの範囲からやり直しますか？",
    "ws2.no_model_mask": "AIの範囲はまだ用意されていません。何もない状態から塗ってください。",
    "ws2.keys": "Ctrl+Z 元に戻す、Ctrl+Y やり直す、H 塗りを隠す、ホイール 拡大・縮小、スペース+ドラッグ 移動",
    "ws2.audit_cli": "コマンド（{who}）",
    "ws2.audit_tz": "日時 ({tz})",
    "ws2.action.view_photo": "写真の閲覧", "ws2.action.label": "ラベル保存", "ws2.action.export": "データ書き出し",
    "ws2.action.sign_in": "サインイン", "ws2.action.sign_in_failed": "サインイン失敗",
    "ws2.action.locked": "ロック", "ws2.action.status": "対応状況の変更", "ws2.action.sign_out": "サインアウト",
    "ws2.action.staff_reset": "アカウントのリセット", "ws2.action.staff_disable": "アカウントの停止",
    "ws2.action.staff_enable": "アカウントの再開", "ws2.action.staff_remove": "アカウントの削除",
    "ws2.action.staff_add": "アカウントの追加",
    "ws22.monitor": "AIと医師のラベルの比較（モデルのバージョンごと）",
    "ws22.monitor_intro": "医師のラベルが一致した写真について、その写真に答えたAIの判定を比べます。"
                          "AD対その他（とびひ・ヘルペス・菌状息肉症を陽性とする）の感度・特異度と95%信頼区間（Wilson）。",
    "ws22.monitor_none": "比べられるラベル付きの写真はまだありません。",
    "ws22.model_version": "AIのバージョン：{v}",
    "ws22.version": "バージョン {v}（写真 {n}枚、うち4分類 {s}枚）",
    "ws22.rate": "{name}：{value}（95%信頼区間 {lo}〜{hi}、{hits}/{of}）",
    "ws22.sensitivity": "感度", "ws22.specificity": "特異度", "ws22.abstention": "判定なしの割合",
    "ws22.signed": "署名された検証の感度：{value}（下限 {lo}）",
    "ws22.label_vs_ai": "医師のラベル ＼ AIの判定", "ws22.none": "判定なし",
    "ws22.alert": "警告：このバージョンの実際の感度 {value} が、署名された検証の下限 {lo} を下回っています"
                  "（{n}枚）。検証をやり直すか、前のバージョンに戻してください（python -m models rollback）。",
    "ws2.action.model_alert": "AIの感度低下の警告",
    "ws3.code_label": "患者さんの番号",
    "ws3.code_help": "LINEで共有したときに患者さんに届いた番号（例：K7QM-3XTA）。小文字・スペースでも探せます。",
    "ws3.find": "探す",
    "ws3.code_not_found": "番号「{code}」の患者さんは、この医院の紹介にいません。番号を確かめてください"
                          "（0とO、1とIは使っていません）。",
    "ws3.level": "最新の判定",
    "ws3.all": "すべて",
    "ws3.filter": "絞り込む",
    "ws3.clear": "絞り込みを解除",
    "ws3.none_match": "この条件に合う患者さんはいません。",
    "ws3.order": "当日受診の判定でまだ診察していない方を先頭に、あとは共有の新しい順です。",
    "ws3.same_day": "当日受診",
    "ws3.prev": "← 前のページ", "ws3.next": "次のページ →",
    "ws3.queue_page": "{first}〜{last}枚目（全{total}枚）",
    "ws3.results_page": "{page}ページ目（新しい順に{n}件ずつ）",
    "ws3.newer_results": "← 新しい結果", "ws3.older_results": "古い結果 →",
    "ws3.open_viewer": "写真とAIの重ね表示を並べて拡大して見る",
    "ws3.viewer": "写真ビューア",
    "ws3.photo": "写真", "ws3.overlay": "AIの重ね表示（肌・病変の範囲と切り出し）",
    "ws3.zoom_level": "倍率 {p}%",
    "ws3.viewer_keys": "ホイールまたは＋／－で拡大・縮小、ドラッグで移動、0で全体。2枚は同じ倍率・同じ移動量で動きます。",
    "ws3.back_to_patient": "← 患者 {code} の記録へ",
    "ws3.no_overlay": "この写真にはAIの重ね表示がありません。",
    "ws3.close": "閉じる", "ws3.own_page": "別のページで開く",
}

EN = {
    "ws2.sign_in_failed": "Could not sign in: the email or password is wrong, or after repeated failures "
                          "signing in is paused for about 15 minutes.",
    "ws2.bad_request": "What was sent could not be accepted. Please reload the page and try again.",
    "ws2.bad_diagnosis": "Please choose a diagnosis before saving the label.",
    "ws2.bad_mask": "The painted area could not be read. Your painting is kept in this browser: open the "
                    "page again and save.",
    "ws2.too_large": "What was sent is too large.",
    "ws2.error": "Something went wrong.",
    "ws2.kappa_pairs": "Agreement per pair of clinicians",
    "ws2.kappa_row": "{a} and {b}: κ = {k} (95% interval {lo} to {hi}, {n} shared photo(s))",
    "ws2.kappa_few": "Fewer than {min} shared photos: this value is not yet reliable.",
    "ws2.status_by": "Set to \"{status}\" by {who} at {when}.",
    "ws2.mask_loading": "Loading the painted area…",
    "ws2.mask_failed": "The starting area could not be loaded. Load it again before saving.",
    "ws2.mask_retry": "Load again",
    "ws2.not_ready": "The label can be saved once the starting area has loaded.",
    "ws2.draft_restored": "Unsaved painting restored from this browser. Check it and save.",
    "ws2.undo": "Undo", "ws2.redo": "Redo",
    "ws2.zoom_in": "Zoom in", "ws2.zoom_out": "Zoom out", "ws2.zoom_fit": "Fit",
    "ws2.opacity": "Mask opacity", "ws2.hide_mask": "Hide the mask (H)",
    "ws2.reset_confirm": "Discard your painting and start again from the AI's extent?",
    "ws2.no_model_mask": "The AI's extent is not ready for this photo yet. Paint from an empty mask.",
    "ws2.keys": "Ctrl+Z undo, Ctrl+Y redo, H hide the mask, wheel zoom, Space+drag pan",
    "ws2.audit_cli": "command line ({who})",
    "ws2.audit_tz": "When ({tz})",
    "ws2.action.view_photo": "Viewed a photo", "ws2.action.label": "Saved a label", "ws2.action.export": "Export",
    "ws2.action.sign_in": "Signed in", "ws2.action.sign_in_failed": "Failed sign-in",
    "ws2.action.locked": "Locked", "ws2.action.status": "Status changed", "ws2.action.sign_out": "Signed out",
    "ws2.action.staff_reset": "Account reset", "ws2.action.staff_disable": "Account disabled",
    "ws2.action.staff_enable": "Account enabled", "ws2.action.staff_remove": "Account removed",
    "ws2.action.staff_add": "Account added",
    "ws22.monitor": "The AI against clinicians' labels, per model version",
    "ws22.monitor_intro": "Photos whose clinicians agreed on a label, against what the AI answered for "
                          "them. AD vs others (impetigo, herpes, mycosis fungoides positive): sensitivity "
                          "and specificity with Wilson 95% intervals.",
    "ws22.monitor_none": "No labelled photos to compare yet.",
    "ws22.model_version": "AI model version: {v}",
    "ws22.version": "Version {v} ({n} photo(s), {s} of the four classes)",
    "ws22.rate": "{name}: {value} (95% interval {lo} to {hi}, {hits}/{of})",
    "ws22.sensitivity": "Sensitivity", "ws22.specificity": "Specificity", "ws22.abstention": "No answer (abstention)",
    "ws22.signed": "Signed validation's sensitivity: {value} (lower bound {lo})",
    "ws22.label_vs_ai": "Clinicians' label \\ AI's guess", "ws22.none": "no answer",
    "ws22.alert": "Warning: this version's live sensitivity {value} is below its signed lower bound {lo} "
                  "({n} photos). Validate again or roll back (python -m models rollback).",
    "ws2.action.model_alert": "Warning: the AI's sensitivity fell",
    "ws3.code_label": "Patient's code",
    "ws3.code_help": "The code the patient got when sharing through LINE (e.g. K7QM-3XTA); lower case and spaces are fine.",
    "ws3.find": "Find",
    "ws3.code_not_found": "No patient with the code \"{code}\" has shared with this clinic. Please check the code "
                          "(it never uses 0/O or 1/I).",
    "ws3.level": "Latest result",
    "ws3.all": "All",
    "ws3.filter": "Filter",
    "ws3.clear": "Clear filters",
    "ws3.none_match": "No patient matches these filters.",
    "ws3.order": "Same-day cases not yet seen come first, then the newest shares.",
    "ws3.same_day": "same day",
    "ws3.prev": "← Previous page", "ws3.next": "Next page →",
    "ws3.queue_page": "Photos {first}–{last} of {total}",
    "ws3.results_page": "Page {page} ({n} results a page, newest first)",
    "ws3.newer_results": "← Newer results", "ws3.older_results": "Older results →",
    "ws3.open_viewer": "View the photo and the AI's overlay side by side, zoomed",
    "ws3.viewer": "Photo viewer",
    "ws3.photo": "Photo", "ws3.overlay": "The AI's overlay (skin, lesion and crops)",
    "ws3.zoom_level": "Zoom {p}%",
    "ws3.viewer_keys": "Wheel or +/− to zoom, drag to pan, 0 to fit. Both pictures zoom and move together.",
    "ws3.back_to_patient": "← Patient {code}'s record",
    "ws3.no_overlay": "This photo has no AI overlay.",
    "ws3.close": "Close", "ws3.own_page": "Open as a page",
}

TABLES = {"ja": JA, "en": EN}


def say(key: str, lang: str, **values) -> str:
    """The text for key in lang: this module's, else bot.texts'."""
    template = TABLES.get(lang, JA).get(key) or JA.get(key)
    if template is None:
        return texts.t(key, lang, **values)
    return template.format(**values) if values else template
