-- Headless test of clients/nvim against the real `bosun serve` and `bosun mock-provider`.
-- Run by Tests/python/test_nvim_plugin.py, which starts the mock and writes the config:
--   BOSUN_BIN, BOSUN_TEST_CONFIG, BOSUN_TEST_WORKSPACE, BOSUN_TEST_DB come from there.
-- Every wait polls a condition (vim.wait); a failure writes why to stderr and exits 1.

local support = dofile(vim.fn.fnamemodify(debug.getinfo(1, 'S').source:sub(2), ':h') .. '/support.lua')
local check, wait_for, noted, buffer_lines = support.check, support.wait_for, support.noted, support.buffer_lines

support.run(function()
  local bosun = require('bosun')
  local client = require('bosun.client')
  bosun.setup({
    cmd = vim.env.BOSUN_BIN,
    config = vim.env.BOSUN_TEST_CONFIG,
    db = vim.env.BOSUN_TEST_DB,
    root_dir = vim.env.BOSUN_TEST_WORKSPACE,
    browser = false,
  })
  check(bosun.statusline() == '', 'the statusline is empty before bosun starts')

  -- :help bosun finds the plugin's help by its own tag.
  local help = vim.fn.tempname()
  vim.fn.mkdir(help .. '/doc', 'p')
  vim.fn.writefile(vim.fn.readfile(vim.env.BOSUN_PLUGIN_DIR .. '/doc/bosun.txt'), help .. '/doc/bosun.txt')
  vim.cmd('helptags ' .. help .. '/doc')
  vim.opt.runtimepath:append(help)
  vim.cmd('help bosun')
  check(vim.api.nvim_buf_get_name(0):match('bosun%.txt$') and vim.api.nvim_get_current_line():match('%*bosun%*'),
    ':help bosun opens the tag *bosun*: ' .. vim.api.nvim_buf_get_name(0) .. ': ' .. vim.api.nvim_get_current_line())
  vim.cmd('close')

  -- LSP progress is a User event until Neovim 0.9, its own event from 0.10.
  -- 0.7 to 0.9 keep each token's progress in the client's `messages`; 0.10+ give it with the event.
  local progress, progress_tokens = 0, {}
  vim.api.nvim_create_autocmd('User', { pattern = 'LspProgressUpdate', callback = function() progress = progress + 1 end })
  pcall(vim.api.nvim_create_autocmd, 'LspProgress', { callback = function(event)
    progress = progress + 1
    progress_tokens[event.data.params.token] = true
  end })
  local function progress_on(lsp, token)
    return progress_tokens[token] or (lsp.messages ~= nil and lsp.messages.progress[token] ~= nil)
  end

  -- :BosunSpawn with a role and a visual selection as its input.
  local spawned
  local spawn = bosun.spawn
  bosun.spawn = function(spec, on_spawned)
    spawned = spec
    return spawn(spec, on_spawned)
  end
  vim.api.nvim_buf_set_lines(0, 0, -1, false, { 'first line', 'second line', 'third line' })
  -- The session's first command: bosun is not running yet, so it has not listed its roles.
  check(not client.state.ready and not client.state.starting, 'bosun is not started before the first command')
  vim.cmd('1,2BosunSpawn researcher List the files in the workspace')
  wait_for('bosun to start, list its roles and take the spawn', function() return spawned ~= nil end)
  check(spawned.role == 'researcher' and spawned.task == 'List the files in the workspace', 'role and task parsed')
  check(spawned.inputs and spawned.inputs[1]:match('lines 1%-2:\nfirst line\nsecond line$'), 'the selection is the input')
  wait_for('the spawn answer', function() return client.state.last_worker ~= nil end)
  local id = client.state.last_worker
  check(noted('spawned ' .. id .. ' %(researcher'), 'spawn was reported')

  wait_for('the worker to start', function() return client.state.workers[id].state == 'running' end)
  check(client.state.events >= 2, 'worker/event notifications arrived')
  check(bosun.statusline():match('^bosun: 1 running'), 'statusline shows the running worker: ' .. bosun.statusline())

  -- :BosunStatus: a floating window whose rows follow the worker.
  vim.cmd('BosunStatus')
  local win = vim.api.nvim_get_current_win()
  check(vim.api.nvim_win_get_config(win).relative == 'editor', 'the status window floats')
  local status_buf = vim.api.nvim_win_get_buf(win)
  wait_for('the status window to show the running worker', function()
    local text = buffer_lines(status_buf)
    return text:match(id .. '%s+running%s+researcher') ~= nil
  end)
  local lines = vim.api.nvim_buf_get_lines(status_buf, 0, -1, false)
  check(lines[1]:match('^bosun  session s_') and lines[2]:match('WORKER%s+STATE%s+ROLE%s+STEPS%s+TOKENS%s+COST%s+ELAPSED'),
    'status header: ' .. lines[1] .. ' / ' .. lines[2])
  check(lines[3]:find(' running ', 1, true) + 1 == lines[2]:find('STATE', 1, true)
    and lines[3]:find(' researcher ', 1, true) + 1 == lines[2]:find('ROLE', 1, true),
    'the columns line up under the header for a ' .. #id .. '-character id:\n' .. lines[2] .. '\n' .. lines[3])
  vim.cmd('wincmd p')

  -- :BosunSteer reaches the running worker.
  vim.cmd('BosunSteer ' .. id .. ' Keep the answer short.')
  wait_for('the steer answer', function() return noted('steered ' .. id) end)
  check(noted('delivery next%-step'), 'a running worker reads a steer at its next step: ' .. noted('steered'))

  wait_for('the worker to succeed', function() return client.state.workers[id].state == 'succeeded' end)
  wait_for('the status window to refresh with steps, tokens and cost', function()
    local row = buffer_lines(status_buf):match(id .. '[^\n]*')
    return row and row:match('succeeded%s+researcher%s+[1-9]%d*%s+[1-9]%d*k?%s+%$0%.%d+%s+%d+%.%ds')
  end)
  wait_for('the end to be reported', function() return noted(id .. ' succeeded: ') end)
  check(progress > 0, "the worker's progress went through Neovim's LSP progress")
  local lsp_client = vim.lsp.get_client_by_id(client.state.client_id)
  check(progress_on(lsp_client, 'bosun-spawn-1'), 'progress on the spawn token')
  require('bosun.status_window').close()

  -- :BosunTrace shows the worker's events in a split.
  vim.cmd('BosunTrace ' .. id)
  wait_for('the trace split', function() return vim.api.nvim_buf_get_name(0):match('bosun://trace/') end)
  local trace = buffer_lines(0)
  check(trace:match('events of ' .. id) and trace:match('queued') and trace:match('started') and trace:match('steered')
    and trace:match('succeeded'), 'the trace split lists the events:\n' .. trace)
  vim.cmd('close')

  -- :BosunTrace! writes the session's HTML timeline.
  vim.cmd('BosunTrace!')
  local page = noted('^bosun: timeline: (.*)$')
  check(page, 'the timeline path is shown')
  page = page:match('timeline: (.*)$')
  local html = table.concat(vim.fn.readfile(page), '\n')
  check(html:match('<html') and html:match(id), 'the timeline page shows the worker')

  -- :BosunAwait shows the finished worker's result.
  vim.cmd('BosunAwait ' .. id)
  wait_for('the await results', function() return vim.api.nvim_buf_get_name(0):match('bosun://results') end)
  check(buffer_lines(0):match('# ' .. id .. '  succeeded'), 'the result split names the worker')
  vim.cmd('close')

  -- :BosunVerify and :BosunSynthesize run when the server lists them, and say so when not.
  if client.supports('verify') then
    vim.cmd('BosunVerify ' .. id .. ' true')
    wait_for('the verify result', function() return vim.api.nvim_buf_get_name(0):match('bosun://verify/') end)
    check(buffer_lines(0):match('passed after 1 round'), 'verify passed:\n' .. buffer_lines(0))
    vim.cmd('close')
  else
    vim.cmd('BosunVerify ' .. id .. ' true')
    check(noted('does not implement verify', vim.log.levels.ERROR), 'verify is refused by name')
  end
  if client.supports('synthesize') then
    vim.cmd('BosunSynthesize Summarise what the workers found')
    wait_for('the synthesis', function() return vim.api.nvim_buf_get_name(0):match('bosun://synthesis') end)
    check(buffer_lines(0):match('Sources: ' .. id), 'the synthesis names its sources:\n' .. buffer_lines(0))
    vim.cmd('close')
  else
    vim.cmd('BosunSynthesize Summarise what the workers found')
    check(noted('does not implement synthesize', vim.log.levels.ERROR), 'synthesize is refused by name')
  end

  -- :BosunOrchestrate plans, runs and synthesizes (the mock's synthetic plan has one
  -- subtask); the plan is notified, progress goes through LSP progress, the answer opens in a split.
  if client.supports('orchestrate') then
    local before = #client.state.order
    vim.cmd('BosunOrchestrate Say what the notes file holds')
    check(noted('orchestrating: Say what the notes file holds'), 'the orchestration is announced')
    wait_for('the orchestration split', function() return vim.api.nvim_buf_get_name(0):match('bosun://orchestrate/o_') end,
      90000)
    local orchestration = vim.api.nvim_buf_get_name(0):match('bosun://orchestrate/(o_%w+)')
    local split = buffer_lines(0)
    check(split:match('^# ' .. orchestration .. ' succeeded: Say what the notes file holds\n'),
      'the split heads with its state:\n' .. split)
    check(split:match('\n## Subtasks\n%- [^\n]+ passed %(checks passed, w_%w+%)') and split:match('\n## Synthesis\n')
      and split:match('\nSources: w_%w+'), 'the split has the subtasks and the synthesis:\n' .. split)
    local known = client.state.orchestrations[orchestration]
    check(known and known.state == 'succeeded' and known.goal == 'Say what the notes file holds', 'the orchestration is known')
    local kinds = vim.tbl_map(function(event) return event.kind end, known.events)
    check(kinds[1] == 'started' and kinds[2] == 'plan' and kinds[#kinds] == 'succeeded'
      and vim.tbl_contains(kinds, 'synthesis'), 'its orchestration/events arrived: ' .. table.concat(kinds, ' '))
    check(noted(orchestration .. ' planned 1 subtask%(s%): '), 'the plan was notified')
    check(noted('^bosun: ' .. orchestration .. ' succeeded$'), 'the end was notified')
    check(#client.state.order >= before + 2, 'its planner and its one subtask (whose result is the answer) are known workers')
    check(client.state.workers[client.state.order[#client.state.order]].parent == orchestration, 'its workers name it')
    check(progress_on(lsp_client, 'bosun-orchestrate-2'), 'progress on the orchestration token')
    vim.cmd('close')
    -- :BosunTrace of the orchestration lists its own events.
    vim.cmd('BosunTrace ' .. orchestration)
    wait_for('the orchestration trace split', function() return vim.api.nvim_buf_get_name(0):match('bosun://trace/o_') end)
    local events = buffer_lines(0)
    check(events:match('events of ' .. orchestration) and events:match('%s1%s+%S+%s+started')
      and events:match('plan%s+' .. vim.pesc(known.events[2].data.plan.subtasks[1].id))
      and events:match('subtask%s+[^\n]+ passed w_%w+') and events:match('succeeded'),
      'the trace split lists its events:\n' .. events)
    vim.cmd('close')
  else
    vim.cmd('BosunOrchestrate Say what the notes file holds')
    check(noted('does not implement orchestrate', vim.log.levels.ERROR), 'orchestrate is refused by name')
  end

  -- :BosunCancel ends a worker on a model that never answers in time.
  bosun.spawn({ task = 'Wait for a slow model', model = 'slow' })
  wait_for('the slow worker to start', function()
    local last = client.state.last_worker
    return last ~= id and client.state.workers[last].state == 'running'
  end)
  local slow = client.state.last_worker
  vim.cmd('BosunCancel')
  wait_for('the cancel', function() return client.state.workers[slow].state == 'cancelled' end)
  wait_for('the cancel to be reported', function() return noted('^bosun: cancelled ' .. slow) end)

  -- bosun's own error message reaches vim.notify.
  vim.cmd('BosunSteer w_nobody hello')
  wait_for('the error', function() return noted('steer failed', vim.log.levels.ERROR) end)
  check(noted('steer failed'):match('w_nobody'), "bosun's message names the worker: " .. noted('steer failed'))

  -- :checkhealth bosun warns only about the keys of providers the config runs on (here
  -- every tier is on the mock provider; the test runs with no provider key set).
  vim.cmd('checkhealth bosun')
  local report = buffer_lines(0)
  check(report:match('bosun found: ') and report:match('version: ') and report:match('configuration valid')
    and not report:match('API_KEY is not set')
    and report:match('not needed by this configuration %(no tier or role uses its provider%): ANTHROPIC_API_KEY'),
    'checkhealth:\n' .. report)
  vim.cmd('bwipeout!')
  local anthropic_config = vim.fn.tempname() .. '.yaml'
  vim.fn.writefile(vim.list_extend(vim.fn.readfile(vim.env.BOSUN_TEST_CONFIG), { 'roles:', '  writer: { model: balanced }' }),
    anthropic_config)
  bosun.setup({ cmd = vim.env.BOSUN_BIN, config = anthropic_config })
  vim.cmd('checkhealth bosun')
  report = buffer_lines(0)
  check(report:match('ANTHROPIC_API_KEY is not set') and not report:match('OPENAI_API_KEY is not set'),
    'checkhealth warns about the key of the provider a role runs on:\n' .. report)
  vim.cmd('bwipeout!')
  bosun.setup({ cmd = vim.env.BOSUN_BIN, config = vim.env.BOSUN_TEST_CONFIG, db = vim.env.BOSUN_TEST_DB,
    root_dir = vim.env.BOSUN_TEST_WORKSPACE, browser = false })

  bosun.stop()
  wait_for('bosun serve to exit', function() return not client.state.ready and not client.state.starting end)

  -- serve_args reach `bosun serve`: with --mock and no config, a worker runs offline.
  bosun.setup({ cmd = vim.env.BOSUN_BIN, db = vim.env.BOSUN_TEST_DB, root_dir = vim.env.BOSUN_TEST_WORKSPACE,
    serve_args = { '--mock' } })
  local before_mock = client.state.last_worker
  vim.cmd('BosunSpawn Say hello offline')
  wait_for('the offline worker', function()
    local last = client.state.last_worker
    return last ~= nil and last ~= before_mock and client.state.workers[last].state == 'succeeded'
  end)
  bosun.stop()
  wait_for('bosun serve --mock to exit', function() return not client.state.ready and not client.state.starting end)

  -- A bosun that cannot start says why through vim.notify.
  bosun.setup({ cmd = vim.env.BOSUN_BIN, config = vim.env.BOSUN_TEST_WORKSPACE .. '/missing.yaml' })
  client.with_client(function() end)
  wait_for('the failed start to be reported', function() return noted('cannot start', vim.log.levels.ERROR) end)
  check(noted('cannot start'):match('missing%.yaml: the config file named by %-%-config does not exist'),
    "bosun's own message says what is wrong: " .. noted('cannot start'))
  check(not client.state.starting, 'a failed start can be retried')
end)
