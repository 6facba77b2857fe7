-- The :Bosun… commands. The work is in lua/bosun; `:help bosun` documents them.
if vim.g.loaded_bosun then
  return
end
vim.g.loaded_bosun = true

local function bosun()
  return require('bosun')
end

local function state()
  return require('bosun.client').state
end

-- The command's arguments; Neovim 0.7 gives `{""}` for an absent optional one.
local function args_of(opts)
  return vim.tbl_filter(function(arg)
    return arg ~= ''
  end, opts.fargs)
end

-- The worker ids the session knows, for completion.
local function complete_workers(arg_lead)
  return vim.tbl_filter(function(id)
    return id:sub(1, #arg_lead) == arg_lead
  end, state().order)
end

-- The orchestration ids (o_…) the session knows, for completion.
local function complete_orchestrations(arg_lead)
  return vim.tbl_filter(function(id)
    return id:sub(1, #arg_lead) == arg_lead
  end, state().orchestration_order)
end

-- Worker and orchestration ids, for the commands that take either.
local function complete_targets(arg_lead)
  return vim.list_extend(complete_workers(arg_lead), complete_orchestrations(arg_lead))
end

-- Splits "w_123 rest of it" into the worker id and the rest; no leading id gives nil.
local function leading_worker(fargs)
  if fargs[1] and fargs[1]:match('^w_') then
    return fargs[1], { unpack(fargs, 2) }
  end
  return nil, fargs
end

-- The text of lines line1..line2, cut to the visual selection when it was characterwise.
local function selected_text(line1, line2)
  local lines = vim.api.nvim_buf_get_lines(0, line1 - 1, line2, false)
  local from, to = vim.fn.getpos("'<"), vim.fn.getpos("'>")
  if vim.fn.visualmode() == 'v' and from[2] == line1 and to[2] == line2 and #lines > 0 then
    lines[#lines] = lines[#lines]:sub(1, to[3])
    lines[1] = lines[1]:sub(from[3])
  end
  return table.concat(lines, '\n')
end

vim.api.nvim_create_user_command('BosunSpawn', function(opts)
  local args = args_of(opts)
  local inputs
  if opts.range > 0 then
    local name = vim.fn.expand('%:.')
    inputs = { string.format('%s lines %d-%d:\n%s', name ~= '' and name or '[No Name]', opts.line1, opts.line2,
      selected_text(opts.line1, opts.line2)) }
  end
  -- Whether the first word is a role is known only once bosun has listed its roles: the
  -- first command of a session starts bosun and waits for the list.
  require('bosun.client').with_roles(function(roles)
    local spec = { inputs = inputs }
    if #args > 1 and roles[args[1]] then
      spec.role = table.remove(args, 1)
    end
    spec.task = table.concat(args, ' ')
    bosun().spawn(spec)
  end)
end, {
  nargs = '+',
  range = true,
  desc = 'Spawn a bosun worker: [role] {task}; a selection becomes its input',
  complete = function(arg_lead, cmd_line)
    if #vim.split(cmd_line, '%s+') > 2 then
      return {}
    end
    return vim.tbl_filter(function(name)
      return name:sub(1, #arg_lead) == arg_lead
    end, vim.tbl_keys(state().roles))
  end,
})

vim.api.nvim_create_user_command('BosunStatus', function()
  bosun().status()
end, { desc = 'Show the bosun workers in a floating window' })

vim.api.nvim_create_user_command('BosunSteer', function(opts)
  local id, rest = leading_worker(args_of(opts))
  bosun().steer(id, table.concat(rest, ' '))
end, { nargs = '+', complete = complete_workers, desc = 'Steer a bosun worker: [worker] {message}' })

vim.api.nvim_create_user_command('BosunCancel', function(opts)
  bosun().cancel(args_of(opts)[1])
end, {
  nargs = '?',
  complete = function(arg_lead)
    return vim.list_extend({ 'all' }, complete_targets(arg_lead))
  end,
  desc = 'Cancel a bosun worker (default the last one), an orchestration (o_…), or all',
})

vim.api.nvim_create_user_command('BosunAwait', function(opts)
  bosun().await(args_of(opts))
end, { nargs = '*', complete = complete_workers, desc = 'Wait for bosun workers and show their results' })

vim.api.nvim_create_user_command('BosunVerify', function(opts)
  local id, rest = leading_worker(args_of(opts))
  bosun().verify(id, table.concat(rest, ' '))
end, { nargs = '+', complete = complete_workers, desc = 'Verify a bosun worker with a shell command: [worker] {command}' })

vim.api.nvim_create_user_command('BosunSynthesize', function(opts)
  bosun().synthesize(opts.args)
end, { nargs = '+', desc = "Synthesize the succeeded bosun workers' results: {instruction}" })

vim.api.nvim_create_user_command('BosunOrchestrate', function(opts)
  bosun().orchestrate(opts.args)
end, { nargs = '+', desc = 'Hand bosun a goal: it plans, runs, checks and synthesizes; {goal}' })

vim.api.nvim_create_user_command('BosunTrace', function(opts)
  bosun().trace(args_of(opts)[1], opts.bang)
end, {
  nargs = '?',
  bang = true,
  complete = complete_targets,
  desc = "A bosun worker's (or orchestration's) events in a split; with ! the session's HTML timeline",
})

vim.api.nvim_create_user_command('BosunChanges', function(opts)
  bosun().changes(args_of(opts)[1])
end, {
  nargs = '?',
  complete = complete_targets,
  desc = "A bosun worker's (or orchestration's) changes in a diff split: the files, then the unified diff",
})

vim.api.nvim_create_user_command('BosunApply', function(opts)
  local args = args_of(opts)
  local id = args[1] and args[1]:match('^[wo]_') and table.remove(args, 1) or nil
  bosun().apply(id, args)
end, {
  nargs = '*',
  -- The id first, then the worker's changed files (as its `changes` events named them).
  complete = function(arg_lead, cmd_line)
    local words = vim.split(cmd_line, '%s+')
    if #words <= 2 then
      return complete_targets(arg_lead)
    end
    local worker = state().workers[words[2]] or state().workers[state().last_worker or '']
    local files = worker and worker.changes and worker.changes.files or {}
    return vim.tbl_filter(function(path)
      return path:sub(1, #arg_lead) == arg_lead
    end, files)
  end,
  desc = "Write a bosun worker's (or orchestration's) changes into the workspace: [worker|o_…] [path ...]",
})

vim.api.nvim_create_user_command('BosunDiscard', function(opts)
  bosun().discard(args_of(opts)[1])
end, {
  nargs = '?',
  complete = complete_targets,
  desc = "Throw a bosun worker's (or orchestration's) changes away",
})

vim.api.nvim_create_user_command('BosunAnswer', function(opts)
  bosun().answer(args_of(opts)[1])
end, {
  nargs = '?',
  complete = function(arg_lead)
    return vim.tbl_filter(function(id)
      return id:sub(1, #arg_lead) == arg_lead
    end, vim.tbl_keys(state().asks))
  end,
  desc = "Answer a bosun worker's pending ask (default: every one), prompting with vim.ui.select or vim.ui.input",
})

vim.api.nvim_create_user_command('BosunStop', function()
  bosun().stop()
end, { desc = 'Stop bosun serve (running workers are interrupted)' })
