;;; test.el --- headless eglot 1.9 with the set-up of docs/clients/emacs.md  -*- lexical-binding: t -*-
;; The documented elisp is loaded as it stands (MODELROUTE_INIT); `modelroute` is found on PATH as
;; after the documented install. Then, as a user would: eglot on a Python file, `M-x
;; eglot-code-actions` on the directive line and the first (routed) action picked, which runs the
;; model (a fake provider plays it) and edits the buffer; then `M-x modelroute-route`.
;; Environment: MODELROUTE_INIT, MODELROUTE_FILE (a Python file, directive on line 5).
;; Prints ACTION/PROMPT/CHOICES/BUFFER/RESULT lines; exits 1 on failure.
(setq debug-on-error nil)
(require 'cl-lib)
(load (expand-file-name "support.el" (file-name-directory load-file-name)) nil t)
(load (getenv "MODELROUTE_INIT") nil t)
;; Documented: eglot asks before applying a server's edit unless this is nil.
(setq eglot-confirm-server-initiated-edits nil)

(setq modelroute-test-dump-function
      (lambda ()  ; what the server said, for the failure
        (let ((server (eglot-current-server)))
          (when server
            (with-current-buffer (jsonrpc-events-buffer server)
              (princ (buffer-substring-no-properties (max (point-min) (- (point-max) 6000)) (point-max))))))))

(condition-case err
    (progn
      (find-file (getenv "MODELROUTE_FILE"))
      (python-mode)
      (eglot-ensure)
      (run-hooks 'post-command-hook) ; eglot-ensure starts from post-command-hook, which batch mode never runs
      (modelroute-test-wait "eglot to connect" #'eglot-current-server 90)
      (let ((server (eglot-current-server))
            (original (buffer-string)))
        ;; M-x eglot-code-actions on the directive line, the first entry picked.
        (goto-char (point-min)) (forward-line 4) (end-of-line)
        (cl-letf (((symbol-function 'completing-read) #'modelroute-test-pick-first))
          (condition-case run-err
              ;; As typed on a keyboard: a key as the last event, so eglot asks through
              ;; completing-read rather than a mouse popup menu.
              (let ((last-nonmenu-event ?\r))
                (call-interactively #'eglot-code-actions))
            ;; jsonrpc gives up waiting after 10 s; the run goes on and its edit still arrives.
            (jsonrpc-error (princ (format "NOTE %S\n" run-err)))))
        (modelroute-test-wait "the run's edit" (lambda () (not (equal (buffer-string) original))) 90)
        (princ "EDITED action\n")
        ;; eglot reports buffer changes from an idle timer (0.5 s), which batch mode never runs;
        ;; a user pauses longer than that before the next command.
        (eglot--signal-textDocument/didChange)
        ;; M-x modelroute-route with the minibuffer answered: route, pick the routed model, run it.
        (let ((before (buffer-string)) asked offered)
          (cl-letf (((symbol-function 'completing-read)
                     (lambda (prompt choices &rest _) (setq offered choices asked prompt) (caar choices))))
            (condition-case run-err
                (modelroute-route "add type hints and a docstring")
              (jsonrpc-error (princ (format "NOTE %S\n" run-err)))))
          (princ (format "PROMPT %s\n" asked))
          (princ (format "CHOICES %d\n" (length offered)))
          (dolist (c offered) (princ (format "CHOICE %s\n" (car c))))
          (modelroute-test-wait "modelroute-route's edit" (lambda () (not (equal (buffer-string) before))) 90)
          (princ "EDITED route\n"))
        (modelroute-test-print-buffer)
        (eglot-shutdown server))
      (princ "RESULT ok\n")
      (kill-emacs 0))
  (error (modelroute-test-fail "%S" err)))
