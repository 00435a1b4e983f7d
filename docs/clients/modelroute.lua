-- modelroute for Neovim 0.7+ (docs/clients/neovim.md). Put this file on 'runtimepath' as
-- lua/modelroute.lua (or dofile() it) and call require('modelroute').setup({}).
-- Neovim 0.11+: vim.lsp.config + vim.lsp.enable; 0.8-0.10: vim.lsp.start; 0.7: vim.lsp.start_client.
local M = {}

local defaults = {
  cmd = { 'modelroute', 'serve' },
  -- nil: every buffer that is a file. A list limits it, e.g. { 'python', 'typescript' }.
  filetypes = nil,
  root_markers = { '.modelroute.toml', '.git' },
  -- Same keys as .modelroute.toml (docs/settings.md); sent as the `modelroute` section.
  settings = {},
  on_attach = nil,
  -- Define :ModelRoute, :ModelRouteWhy, :ModelRouteSpend, :ModelRouteCancel, :ModelRouteObjective.
  commands = true,
}

M.config = vim.deepcopy(defaults)
M.status = nil -- last modelroute.status answer, for M.statusline()

local function has(version)
  return vim.fn.has('nvim-' .. version) == 1
end

local function notify(msg, level)
  vim.notify('modelroute: ' .. msg, level or vim.log.levels.INFO)
end

local function find_root(path)
  local dir = vim.fn.fnamemodify(path, ':p:h')
  while dir and dir ~= '' do
    for _, marker in ipairs(M.config.root_markers) do
      if vim.loop.fs_stat(dir .. '/' .. marker) then
        return dir
      end
    end
    local parent = vim.fn.fnamemodify(dir, ':h')
    if parent == dir then
      break
    end
    dir = parent
  end
  return vim.fn.getcwd()
end

local function client_config(root_dir)
  return {
    name = 'modelroute',
    cmd = M.config.cmd,
    root_dir = root_dir,
    -- Answers workspace/configuration (section "modelroute"); init_options covers 0.7, which
    -- does not advertise workspace/configuration.
    settings = { modelroute = M.config.settings },
    init_options = { modelroute = M.config.settings },
    on_attach = M.config.on_attach,
  }
end

local function wanted(bufnr)
  if vim.bo[bufnr].buftype ~= '' or vim.api.nvim_buf_get_name(bufnr) == '' then
    return false
  end
  local fts = M.config.filetypes
  return fts == nil or vim.tbl_contains(fts, vim.bo[bufnr].filetype)
end

-- 0.7: one client per root, started once and attached to each buffer.
local started = {}
local function attach_07(bufnr)
  local root = find_root(vim.api.nvim_buf_get_name(bufnr))
  local id = started[root]
  if id == nil or vim.lsp.get_client_by_id(id) == nil then
    local cfg = client_config(root)
    cfg.workspace_folders = { { uri = vim.uri_from_fname(root), name = root } }
    id = vim.lsp.start_client(cfg)
    started[root] = id
  end
  if id then
    vim.lsp.buf_attach_client(bufnr, id)
  end
end

local function attach(bufnr)
  if not wanted(bufnr) then
    return
  end
  if has('0.8') then
    vim.lsp.start(client_config(find_root(vim.api.nvim_buf_get_name(bufnr))), { bufnr = bufnr })
  else
    attach_07(bufnr)
  end
end

local function first_named(clients)
  for _, client in pairs(clients) do
    if client.name == 'modelroute' then
      return client
    end
  end
  return nil
end

function M.get_client(bufnr)
  bufnr = bufnr or vim.api.nvim_get_current_buf()
  return first_named(vim.lsp.get_clients and vim.lsp.get_clients({ bufnr = bufnr, name = 'modelroute' })
    or vim.lsp.buf_get_clients(bufnr))
end

-- Any running modelroute client: spend, status, objective and cancel are not about one buffer,
-- and are often typed from a buffer the server is not attached to (the spend split, help).
local function any_client()
  return first_named(vim.lsp.get_clients and vim.lsp.get_clients({ name = 'modelroute' })
    or vim.lsp.get_active_clients())
end

-- workspace/executeCommand with one JSON object argument; callback(err, result).
function M.execute(command, args, callback, bufnr)
  bufnr = bufnr or vim.api.nvim_get_current_buf()
  local client = M.get_client(bufnr) or (args.uri == nil and any_client() or nil)
  if not client then
    notify('no modelroute server is attached to this buffer', vim.log.levels.ERROR)
    return
  end
  local params = { command = command, arguments = { args } }
  local handler = function(err, result)
    if err then
      notify(command .. ': ' .. (err.message or vim.inspect(err)), vim.log.levels.ERROR)
    end
    if callback then
      callback(err, result)
    end
  end
  if has('0.11') then
    client:request('workspace/executeCommand', params, handler, bufnr)
  else
    client.request('workspace/executeCommand', params, handler, bufnr)
  end
end

-- Lines line1..line2 (1-based, inclusive) as an LSP range in UTF-16 characters.
function M.range(bufnr, line1, line2)
  local last = vim.api.nvim_buf_get_lines(bufnr, line2 - 1, line2, false)[1] or ''
  local _, utf16 = vim.str_utfindex(last)
  return { start = { line = line1 - 1, character = 0 }, ['end'] = { line = line2 - 1, character = utf16 } }
end

-- The directive's instruction on a line (`# do this AI!`), to pre-fill the prompt.
function M.directive(text)
  local body = text:match('[#/%-;%%*!]+%s*(.-)%s*%-*>?%s*$')
  if not body then
    return nil
  end
  local lower = body:lower()
  if lower:sub(-3) == 'ai!' or lower:sub(-3) == 'ai?' then
    body = body:sub(1, -4)
  elseif lower:sub(1, 3) == 'ai!' or lower:sub(1, 3) == 'ai?' then
    body = body:sub(4)
  else
    return nil
  end
  body = vim.trim(body)
  return body ~= '' and body or nil
end

-- As the server prices code actions (lsp/format.py format_usd): `~$0.42`, `~$0.011`, `~$0.0042`.
local function usd(x)
  if not x or x <= 0 then
    return '$0'
  elseif x >= 0.1 then
    return string.format('~$%.2f', x)
  elseif x >= 1e-4 then
    return string.format('~$%.2g', x)
  end
  return '<$0.0001'
end

-- Candidates for the picker: the routed model first, then runnable alternatives, then the rest.
function M.choices(decision)
  local chosen, ready, later = {}, {}, {}
  for _, c in ipairs(decision.candidates or {}) do
    if c.model == decision.model then
      table.insert(chosen, c)
    elseif c.eligible ~= false then
      table.insert(c.available == false and later or ready, c)
    end
  end
  local out = {}
  for _, list in ipairs({ chosen, ready, later }) do
    for _, c in ipairs(list) do
      table.insert(out, c)
    end
  end
  return out
end

function M.format_choice(decision, c)
  local name = c.model == decision.model and ((decision.display_name or c.model) .. ' (routed)') or c.model
  local text = string.format('%s · %s · score %.2f', name, usd(c.estimated_cost_usd), c.score or 0)
  if c.available == false then
    text = text .. ' — ' .. (c.setup_hint or 'provider not configured')
  end
  return text
end

-- :ModelRoute — ask for an instruction, route it, pick a model, run it.
function M.route(opts)
  opts = opts or {}
  local bufnr = vim.api.nvim_get_current_buf()
  local line1 = opts.line1 or vim.fn.line('.')
  local line2 = opts.line2 or line1
  local uri = vim.uri_from_bufnr(bufnr)
  local range = M.range(bufnr, line1, line2)
  local current = vim.api.nvim_buf_get_lines(bufnr, line1 - 1, line1, false)[1] or ''
  local function go(instruction)
    if not instruction or vim.trim(instruction) == '' then
      return
    end
    instruction = vim.trim(instruction)
    local args = { uri = uri, range = range, instruction = instruction }
    M.execute('modelroute.route', args, function(err, decision)
      if err or not decision then
        return
      end
      local choices = M.choices(decision)
      local prompt = string.format('%s (%d%%) — run with:', decision.category, math.floor((decision.confidence or 0) * 100 + 0.5))
      vim.ui.select(choices, {
        prompt = prompt,
        format_item = function(c)
          return M.format_choice(decision, c)
        end,
      }, function(choice)
        if not choice then
          return
        end
        if choice.available == false then
          notify(choice.model .. ' cannot run: ' .. (choice.setup_hint or 'provider not configured'), vim.log.levels.WARN)
          return
        end
        args.model = choice.model
        M.execute('modelroute.run', args, function(run_err, result)
          if not run_err and type(result) == 'table' and result.message then
            notify(result.message)
          end
          M.refresh_status(bufnr)
        end, bufnr)
      end)
    end, bufnr)
  end
  if opts.instruction then
    go(opts.instruction)
  else
    vim.ui.input({ prompt = 'modelroute: ', default = M.directive(current) }, go)
  end
end

-- :ModelRouteWhy — the reasons document (the server opens it with window/showDocument).
function M.why(opts)
  opts = opts or {}
  local bufnr = vim.api.nvim_get_current_buf()
  local line1 = opts.line1 or vim.fn.line('.')
  local range = M.range(bufnr, line1, opts.line2 or line1)
  local current = vim.api.nvim_buf_get_lines(bufnr, line1 - 1, line1, false)[1] or ''
  vim.ui.input({ prompt = 'modelroute why: ', default = M.directive(current) }, function(instruction)
    if instruction and vim.trim(instruction) ~= '' then
      M.execute('modelroute.explainRoute', { uri = vim.uri_from_bufnr(bufnr), range = range, instruction = vim.trim(instruction) })
    end
  end)
end

local function bar(value, max, width)
  local n = max > 0 and math.floor(value / max * width + 0.5) or 0
  return string.rep('█', n)
end

-- Lines of text for a modelroute.report answer.
function M.report_lines(report)
  local lines = { string.format('modelroute spend: $%.2f over %d runs', report.total_usd or 0, report.run_count or 0), '' }
  for _, section in ipairs({ { 'By day', report.by_day or {}, 'day' }, { 'By model', report.by_model or {}, 'model' } }) do
    local title, rows, key = section[1], section[2], section[3]
    table.insert(lines, title)
    local max = 0
    for _, r in ipairs(rows) do
      max = math.max(max, r.usd or 0)
    end
    for _, r in ipairs(rows) do
      table.insert(lines, string.format('  %-24s %8s  %s', r[key], string.format('$%.2f', r.usd or 0), bar(r.usd or 0, max, 30)))
    end
    if #rows == 0 then
      table.insert(lines, '  (no runs)')
    end
    table.insert(lines, '')
  end
  return lines
end

function M.spend()
  M.execute('modelroute.report', {}, function(err, report)
    if err or not report then
      return
    end
    vim.cmd('botright new')
    local buf = vim.api.nvim_get_current_buf()
    vim.bo[buf].buftype = 'nofile'
    vim.bo[buf].bufhidden = 'wipe'
    vim.api.nvim_buf_set_lines(buf, 0, -1, false, M.report_lines(report))
    vim.bo[buf].modifiable = false
  end)
end

function M.cancel()
  M.execute('modelroute.cancelRun', {})
end

function M.objective(value)
  local function set(choice)
    if choice then
      M.execute('modelroute.setObjective', { objective = choice }, function(err)
        if not err then
          notify('objective: ' .. choice)
          M.refresh_status()
        end
      end)
    end
  end
  if value and value ~= '' then
    set(value)
  else
    vim.ui.select({ 'quality', 'balanced', 'cost' }, { prompt = 'modelroute objective:' }, set)
  end
end

function M.refresh_status(bufnr)
  M.execute('modelroute.status', {}, function(err, status)
    if not err then
      M.status = status
    end
  end, bufnr)
end

-- For 'statusline': `$1.20/$20.00 balanced`, `spend? balanced` when the ledger cannot be read
-- (`ledger_error` says why), or '' before the first answer.
function M.statusline()
  local s = M.status
  if type(s) ~= 'table' then
    return ''
  end
  if s.spent_today_usd == nil then
    return string.format('spend? %s', s.objective or '')
  end
  local cap = s.daily_usd and string.format('/$%.2f', s.daily_usd) or ''
  return string.format('$%.2f%s %s', s.spent_today_usd or 0, cap, s.objective or '')
end

local function define_commands()
  local cmd = vim.api.nvim_create_user_command
  cmd('ModelRoute', function(o)
    M.route({ line1 = o.line1, line2 = o.line2, instruction = o.args ~= '' and o.args or nil })
  end, { range = true, nargs = '*', desc = 'modelroute: route an instruction and run it' })
  cmd('ModelRouteWhy', function(o)
    M.why({ line1 = o.line1, line2 = o.line2 })
  end, { range = true, desc = 'modelroute: why this model?' })
  cmd('ModelRouteSpend', M.spend, { desc = 'modelroute: spend report' })
  cmd('ModelRouteCancel', M.cancel, { desc = 'modelroute: cancel the running request' })
  cmd('ModelRouteObjective', function(o)
    M.objective(o.args)
  end, { nargs = '?', complete = function()
    return { 'quality', 'balanced', 'cost' }
  end, desc = 'modelroute: switch the routing objective' })
end

function M.setup(opts)
  M.config = vim.tbl_deep_extend('force', vim.deepcopy(defaults), opts or {})
  if M.config.commands then
    define_commands()
  end
  if has('0.11') and vim.lsp.config then
    vim.lsp.config('modelroute', {
      cmd = M.config.cmd,
      filetypes = M.config.filetypes,
      root_markers = M.config.root_markers,
      settings = { modelroute = M.config.settings },
      init_options = { modelroute = M.config.settings },
      on_attach = M.config.on_attach,
    })
    vim.lsp.enable('modelroute')
    return M
  end
  local group = vim.api.nvim_create_augroup('modelroute', { clear = true })
  vim.api.nvim_create_autocmd('FileType', {
    group = group,
    callback = function(args)
      attach(args.buf)
    end,
  })
  -- Buffers already open when setup() runs.
  for _, bufnr in ipairs(vim.api.nvim_list_bufs()) do
    if vim.api.nvim_buf_is_loaded(bufnr) and vim.bo[bufnr].filetype ~= '' then
      attach(bufnr)
    end
  end
  return M
end

return M
