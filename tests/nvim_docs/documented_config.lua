-- Headless Neovim (0.7.2 and 0.11.4) runs the set-up of docs/clients/neovim.md as a user would have it: the
-- module copied to <config>/nvim/lua/modelroute.lua and the documented init.lua. `-u NONE
-- --clean` skips what a normal start does, so this file does it first: the config folder on
-- 'runtimepath' and filetype detection (the FileType autocommand is how setup() attaches).
-- Environment: MR_INIT (the documented init.lua), MR_FILE (file to open), MR_LINE (1-based
-- directive line), MR_COMMANDS (JSON list of the documented :commands), MR_BLOCKS (JSON list of the
-- doc's lua blocks), MR_STATUSLINE (the doc's statusline line), MR_OUT (JSON result).
local out = os.getenv('MR_OUT')
local line = tonumber(os.getenv('MR_LINE'))
local result = {
  titles = {}, action_models = {}, messages = {}, notifications = {}, questions = {},
  inputs = {}, selects = {}, requests = {}, responses = {}, missing_commands = {},
}
local done = false
local t0 = vim.loop.hrtime()
result.timings = {}
local function mark(name)  -- seconds since start, to say where the time goes
  result.timings[name] = (vim.loop.hrtime() - t0) / 1e9
end

local function finish(ok, why)
  if done then
    return
  end
  done = true
  result.ok = ok
  result.why = why
  local f = assert(io.open(out, 'w'))
  f:write(vim.fn.json_encode(result))
  f:close()
  vim.cmd(ok and 'qall!' or 'cquit! 1')
end

local function check(cond, why)
  if not cond then
    finish(false, why)
    error(why)
  end
end

-- A hung step must not hang the test suite. The bounds are generous (shared, loaded machines):
-- they only decide how long a broken step takes to fail, never whether a working one passes.
local STEP_MS = 60000
vim.defer_fn(function()
  finish(false, 'watchdog: still running after 170 s')
end, 170000)

-- What a headless session cannot do: answer prompts. The default showMessageRequest handler
-- calls inputlist(), which blocks without a terminal.
local function ask(_, params)
  table.insert(result.questions, params.message)
  for _, action in ipairs(params.actions or {}) do
    if action.title:match('^Run') then
      return action
    end
  end
  return vim.NIL
end
vim.lsp.handlers['window/showMessageRequest'] = ask
vim.lsp.handlers['window/showMessage'] = function(_, params)
  table.insert(result.messages, params.message)
end
vim.notify = function(msg)
  table.insert(result.notifications, tostring(msg))
end
vim.ui.input = function(opts, on_confirm)
  table.insert(result.inputs, { prompt = opts.prompt, default = opts.default or vim.NIL })
  on_confirm(opts.default)
end
vim.ui.select = function(items, opts, on_choice)
  local shown = {}
  for _, item in ipairs(items) do
    table.insert(shown, opts.format_item and opts.format_item(item) or tostring(item))
  end
  table.insert(result.selects, { prompt = opts.prompt, items = shown })
  on_choice(items[1], 1)
end

-- 0.11 made client methods colon calls (client:request(...)); 0.7 has only dot calls.
local colon = vim.fn.has('nvim-0.11') == 1
local version = vim.version()
result.nvim = string.format('%d.%d.%d', version.major, version.minor, version.patch)
local function method(client, name, ...)
  if colon then
    return client[name](client, ...)
  end
  return client[name](...)
end

local function main()
  -- Normal start-up, as -u NONE leaves it out.
  vim.opt.runtimepath:prepend(vim.fn.stdpath('config'))
  vim.cmd('filetype plugin indent on')
  dofile(os.getenv('MR_INIT'))
  local modelroute = require('modelroute')
  check(modelroute.config.cmd[1] == 'modelroute', 'the documented init.lua did not reach setup()')
  for _, name in ipairs(vim.fn.json_decode(os.getenv('MR_COMMANDS'))) do
    if vim.fn.exists(':' .. name) ~= 2 then
      table.insert(result.missing_commands, name)
    end
  end

  -- Every lua block of the doc at least compiles (the 0.8+ ones cannot run on 0.7).
  result.syntax_errors = {}
  for i, block in ipairs(vim.fn.json_decode(os.getenv('MR_BLOCKS'))) do
    local _, err = loadstring(block, 'block ' .. i)
    if err then
      table.insert(result.syntax_errors, err)
    end
  end

  vim.cmd('edit ' .. vim.fn.fnameescape(os.getenv('MR_FILE')))
  local bufnr = vim.api.nvim_get_current_buf()
  local client
  check(vim.wait(STEP_MS, function()
    client = modelroute.get_client(bufnr)
    return client ~= nil and client.initialized == true
  end, 20), 'setup() attached no initialized modelroute client to the Python buffer')

  -- Record every request setup()'s code (and vim.lsp.buf) sends through this client, and what came
  -- back; the override takes the call style of the Neovim it runs in.
  local request = client.request
  local function recorded(name, params, handler, buf)
    local command = name == 'workspace/executeCommand' and params.command or name
    table.insert(result.requests, command)
    local function wrapped(err, res, ctx, cfg)
      table.insert(result.responses, {
        command = command,
        error = err and (err.message or vim.inspect(err)) or vim.NIL,
        result = type(res) == 'table' and res or vim.NIL,
      })
      if handler then
        return handler(err, res, ctx, cfg)
      end
    end
    if colon then
      return request(client, name, params, wrapped, buf)
    end
    return request(name, params, wrapped, buf)
  end
  client.request = colon and function(_, ...)
    return recorded(...)
  end or recorded

  mark('attached')
  -- (a) The priced code actions on the directive line.
  local response = method(client, 'request_sync', 'textDocument/codeAction', {
    textDocument = { uri = vim.uri_from_bufnr(bufnr) },
    range = { start = { line = line - 1, character = 0 }, ['end'] = { line = line - 1, character = 0 } },
    context = { diagnostics = {} },
  }, STEP_MS, bufnr)
  check(response and not response.err and response.result, 'codeAction failed: ' .. vim.inspect(response))
  for _, action in ipairs(response.result) do
    table.insert(result.titles, action.title)
    local args = action.command and action.command.arguments and action.command.arguments[1]
    table.insert(result.action_models, args and args.model or vim.NIL)
  end

  local function answers(command)
    return vim.tbl_filter(function(r)
      return r.command == command
    end, result.responses)
  end
  local function answered(command)
    return answers(command)[1]
  end

  -- The documented way to use them: vim.lsp.buf.code_action() and pick the first.
  vim.api.nvim_win_set_cursor(0, { line, 0 })
  vim.lsp.buf.code_action()
  check(vim.wait(STEP_MS, function()
    return #answers('modelroute.run') == 1
  end, 20), 'picking a code action did not run modelroute.run')
  result.action_run = answered('modelroute.run')
  mark('code_actions')

  -- (b) :ModelRoute on the directive line: input -> route -> select -> run -> status.
  vim.api.nvim_win_set_cursor(0, { line, 0 })
  vim.cmd('ModelRoute')
  check(vim.wait(STEP_MS, function()
    return #answers('modelroute.run') == 2 and answered('modelroute.status') ~= nil
  end, 20), 'the :ModelRoute flow did not finish (route, run, status)')
  result.decision = answered('modelroute.route').result
  result.run = answers('modelroute.run')[2]
  result.buffer = vim.api.nvim_buf_get_lines(bufnr, 0, -1, false)

  mark('model_route')
  -- The documented statusline, then :ModelRouteSpend (a scratch split the server is not attached
  -- to) and, from that split, :ModelRouteObjective.
  assert(loadstring(os.getenv('MR_STATUSLINE')))()
  local function statusline()
    return vim.api.nvim_eval_statusline(vim.o.statusline, { fillchar = ' ' }).str
  end
  result.statusline_after_run = statusline()
  vim.cmd('ModelRouteSpend')
  check(vim.wait(STEP_MS, function()
    return answered('modelroute.report') ~= nil and vim.bo.buftype == 'nofile'
  end, 20), ':ModelRouteSpend opened no report')
  result.spend = vim.api.nvim_buf_get_lines(0, 0, -1, false)
  mark('spend')
  vim.cmd('ModelRouteObjective cost')
  check(vim.wait(STEP_MS, function()
    return answered('modelroute.setObjective') ~= nil and #answers('modelroute.status') == 2
  end, 20), ':ModelRouteObjective from the spend split did not finish')
  result.statusline_after_objective = statusline()

  mark('objective')
  -- (c) Still our handler after setup() and the run: nothing blocked on a prompt.
  result.show_message_request_overridden = vim.lsp.handlers['window/showMessageRequest'] == ask
  finish(true, '')
end

-- Any Lua error ends the run with the error in the result (a headless "Press ENTER" would hang).
local ok, err = xpcall(main, debug.traceback)
if not ok then
  finish(false, 'error: ' .. tostring(err))
end
