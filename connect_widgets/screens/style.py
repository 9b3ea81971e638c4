"""The kit's look: one stylesheet for every page (Connect, the team console, the trainer).

The page shell (:class:`connect_widgets.pages.shell.PageShell`) injects it once, as
the page's first widget. Rules for one page only are scoped by that page's classes
(``.connect-trainer``) or use class names no other page has, so one sheet serves all.
"""

STYLESHEET = """
<style>
.connect-app { max-width: 52em; margin: 1.5em auto; font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1f2933; }
.connect-header { display: flex; align-items: center; justify-content: space-between; border-bottom: 3px solid #0b5cad; padding: .4em .2em; margin-bottom: .8em; }
.connect-header > .widget-hbox { flex-wrap: nowrap; min-width: 0; align-items: center; }
.connect-header button { flex-shrink: 0; width: auto; }
.connect-brand h1 { white-space: nowrap; }
.connect-user { white-space: nowrap; overflow: hidden; text-overflow: ellipsis; min-width: 0; margin-right: .6em; }
.connect-brand h1 { font-size: 1.5em; margin: 0; color: #0b5cad; letter-spacing: .02em; }
.connect-user { color: #52606d; font-size: .95em; }
.connect-message p { margin: .2em 0; }
.connect-message.error { background: #fde8e8; border-left: 4px solid #c81e1e; padding: .5em .8em; color: #7a1010; }
.connect-message.info { background: #e8f1fd; border-left: 4px solid #0b5cad; padding: .5em .8em; }
.connect-message.success { background: #e6f4ea; border-left: 4px solid #1e7b34; padding: .5em .8em; }
.connect-resources a, .connect-text a { color: #0b5cad; text-decoration: underline; }
.connect-screen { box-sizing: border-box; background: #ffffff; border: 1px solid #d9e2ec; border-radius: 8px; padding: 1.2em 1.6em; box-shadow: 0 1px 3px rgba(0,0,0,.06); }
.connect-app .widget-html-content { line-height: 1.45; }
.connect-screen h2 { margin: 0 0 .3em 0; font-size: 1.35em; }
.connect-screen h3 { margin: .8em 0 .2em 0; font-size: 1.05em; }
.connect-intro p, .connect-text p { margin: .2em 0 .6em 0; line-height: 1.45; }
.connect-hint p { margin: .1em 0 .6em 0; color: #52606d; font-size: .92em; }
.connect-notice p { background: #e8f1fd; padding: .4em .6em; border-radius: 4px; }
.connect-field { margin: .35em 0; }
.connect-email-row { align-items: flex-end; }
.connect-domain { margin: .35em 0 .35em .3em; }
.connect-domain .widget-html-content { line-height: var(--jp-widgets-inline-height, 28px); color: #323f4b; font-weight: 600; }
.connect-field.widget-inline-hbox { flex-direction: column; align-items: stretch; height: auto; }
.connect-field > .widget-label { width: auto !important; max-width: none; text-align: left; margin: 0 0 .2em 0; padding: 0; font-weight: 600; color: #323f4b; line-height: 1.3; white-space: normal; overflow: visible; height: auto; }
.connect-field > .widget-input, .connect-field > select, .connect-field > textarea { width: 100%; flex: 0 0 auto; box-sizing: border-box; }
.connect-field > input.widget-input, .connect-field > select { height: var(--jp-widgets-inline-height, 28px); }
.connect-primary, .connect-secondary { margin: .6em .6em .3em 0; min-width: 8em; }
.connect-link, .connect-link:hover, .connect-link:focus { background: none !important; box-shadow: none !important; border: none !important; color: #0b5cad !important; text-decoration: underline; padding: 0 !important; height: auto !important; width: auto !important; text-align: left; cursor: pointer; }
.connect-link:disabled { color: #9aa5b1 !important; text-decoration: none; cursor: default; }
.connect-footer { border-top: 1px solid #e4e7eb; margin-top: 1em; padding-top: .6em; }
.connect-rules ul { list-style: none; padding-left: 0; margin: .3em 0; }
.connect-rules li.met { color: #05603a; }
.connect-rules li.unmet { color: #7b8794; }
.connect-state { color: #52606d; font-size: .9em; margin-left: 1em; align-self: center; }
.connect-key { color: #52606d; font-size: .85em; border-top: 1px solid #e4e7eb; padding-top: .5em; }
.connect-app pre { font-family: ui-monospace, "DejaVu Sans Mono", monospace; background: #f5f7fa; border: 1px solid #d9e2ec; border-radius: 4px; padding: .5em .7em; white-space: pre-wrap; word-break: normal; overflow-wrap: normal; overflow-x: auto; line-height: 1.4; }
.connect-record { table-layout: fixed; width: 100%; border-collapse: collapse; margin: .2em 0 .6em 0; }
.connect-record th { width: 4em; text-align: left; font-weight: 600; color: #52606d; padding: .2em .5em .2em 0; vertical-align: middle; }
.connect-record td { padding: .2em .5em .2em 0; vertical-align: middle; }
.connect-record td:last-child { width: 6em; padding-right: 0; text-align: right; }
.connect-token { display: block; white-space: nowrap; overflow-x: auto; font-family: ui-monospace, "DejaVu Sans Mono", monospace; background: #f5f7fa; border: 1px solid #d9e2ec; border-radius: 4px; padding: .25em .5em; }
.connect-copy { font: inherit; font-size: .9em; padding: .2em .8em; color: #0b5cad; background: #fff; border: 1px solid #0b5cad; border-radius: 4px; cursor: pointer; }
.connect-copy:hover, .connect-copy:focus { background: #e8f1fd; }
.connect-upload-row { align-items: center; gap: .8em; flex-wrap: wrap; }
.connect-upload { font-size: 0 !important; }
.connect-upload::before { content: "Choose file"; content: "Choose file" / ""; font-size: var(--jp-widgets-font-size, 13px); }
.connect-chosen { color: #323f4b; }
.connect-rejected { background: #fff4e5; border-left: 4px solid #b45309; padding: .4em .6em; }
.connect-news { align-items: center; background: #e8f1fd; border-left: 4px solid #0b5cad; padding: .2em .6em; margin: .4em 0; }
.connect-news p { margin: .2em 0; }
.connect-done { background: #e6f4ea; border-left: 4px solid #1e7b34; padding: .4em .6em; }
.connect-busy { opacity: .6; pointer-events: none; }
.connect-message.busy { background: #f5f7fa; border-left: 4px solid #52606d; padding: .5em .8em; color: #323f4b; }
.connect-spinner { display: inline-block; width: .9em; height: .9em; margin-right: .5em; vertical-align: -.1em; border: 2px solid #9aa5b1; border-top-color: #0b5cad; border-radius: 50%; animation: connect-spin .8s linear infinite; }
@keyframes connect-spin { to { transform: rotate(360deg); } }
@media (prefers-reduced-motion: reduce) { .connect-spinner { animation-duration: 3s; } }
.connect-table { border-collapse: collapse; margin: .3em 0 .6em 0; font-size: .92em; }
.connect-table th, .connect-table td { border: 1px solid #d9e2ec; padding: .2em .5em; text-align: left; vertical-align: top; }
.connect-table th { background: #f5f7fa; }
.connect-errors td:first-child { text-align: right; white-space: nowrap; }
.connect-staged .widget-hbox { align-items: baseline; gap: .6em; }
.connect-switcher { width: auto; min-width: 10em; }
.connect-applications ul { list-style: none; margin: .4em 0; padding: .5em .8em; border: 1px solid #d9e2ec; border-radius: 6px; background: #f5f7fa; max-width: 24em; }
.connect-applications li { margin: .3em 0; }
.connect-applications li span { color: #52606d; font-size: .9em; margin-left: .4em; }
.connect-applications a { color: #0b5cad; font-weight: 600; }
.connect-unavailable { color: #9aa5b1; }
/* The Connect Team console: one card per review waiting. */
.connect-review { border: 1px solid #d9e2ec; border-radius: 6px; padding: .6em .9em; margin: .5em 0; }
.connect-review ul { margin: .2em 0 .4em 1.2em; padding: 0; }
/* The trainer page is wider than an admin's (phone and inbox side by side) and must
   stay usable on a 1024 px projector: rows wrap instead of overflowing, buttons are
   as wide as their labels and never shrink, and the inbox wraps or scrolls inside
   its own box whatever a message holds (long URLs, long subjects, long lines). */
.connect-app.connect-trainer { max-width: 72em; padding: 0 1em; box-sizing: border-box; }
.connect-trainer .connect-row { flex-wrap: wrap; align-items: center; gap: .5em .6em; margin: .3em 0; }
.connect-trainer .connect-row > .widget-html { flex: 1 1 16em; min-width: 0; }
.connect-trainer .connect-row > .widget-html > .widget-html-content { line-height: 1.4; white-space: normal; }
.connect-trainer .connect-row .widget-html p { margin: 0; }
.connect-trainer button.jupyter-button { width: auto; flex: 0 0 auto; max-width: 100%; margin: 0; }
.connect-trainer .connect-account { flex: 1 1 22em; max-width: 36em; min-width: 0; margin: 0; }
.connect-trainer .connect-account select { min-width: 0; }
.connect-trainer .connect-stages button.jupyter-button { min-width: 7em; }
.connect-trainer .connect-hint p { margin: 0; }
.connect-devices { flex-wrap: wrap; align-items: flex-start; gap: 1em; margin: 1em 0; }
.connect-phone { box-sizing: border-box; flex: 0 0 17em; border: 10px solid #1f2933; border-radius: 22px; padding: .8em; background: #f5f7fa; min-height: 14em; }
.connect-phone h3, .connect-inbox h3 { margin: 0 0 .4em 0; font-size: 1em; }
.connect-phone > .widget-html-content, .connect-inbox > .widget-html-content { min-width: 0; line-height: 1.4; }
.connect-sms { background: #e3f0ff; border-radius: 10px; padding: .4em .6em; margin: .3em 0; font-size: .92em; overflow-wrap: anywhere; }
.connect-sms .code { font-size: 1.6em; font-weight: 700; letter-spacing: .12em; }
.connect-inbox { box-sizing: border-box; flex: 1 1 22em; min-width: 0; max-width: 100%; max-height: 34em; overflow: auto; border: 1px solid #d9e2ec; border-radius: 6px; padding: .6em .8em; background: #fff; }
.connect-mail { border-bottom: 1px solid #e4e7eb; padding: .4em 0; font-size: .9em; min-width: 0; overflow-wrap: anywhere; word-break: break-word; }
.connect-mail .subject { font-weight: 700; }
.connect-mail .meta { color: #52606d; font-size: .92em; }
.connect-mail .body { white-space: pre-wrap; margin-top: .3em; }
.connect-stage-result { background: #e8f1fd; border-left: 4px solid #0b5cad; padding: .4em .8em; overflow-wrap: anywhere; }
.connect-notes .widget-html-content { line-height: 1.45; }
</style>
"""
